replay Fixtures/captures/ethernet.pcap
