explain Fixtures/captures/no-such-file.pcap
