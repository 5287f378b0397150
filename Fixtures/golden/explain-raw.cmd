explain Fixtures/captures/raw.pcap
