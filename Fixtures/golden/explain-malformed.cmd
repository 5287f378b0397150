explain Fixtures/captures/malformed.pcap
