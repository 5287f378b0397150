explain Fixtures/captures/wild-client.pcap --host Fixtures/hosts/wild-client
