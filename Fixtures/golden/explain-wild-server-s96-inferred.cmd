explain Fixtures/captures/wild-server-s96.pcap
