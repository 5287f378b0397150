explain Fixtures/captures/wild-client.pcap
