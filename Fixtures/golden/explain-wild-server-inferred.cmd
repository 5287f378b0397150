explain Fixtures/captures/wild-server.pcap
