explain Fixtures/captures/wild-server.pcap --host Fixtures/hosts/wild-server
