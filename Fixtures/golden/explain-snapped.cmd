explain Fixtures/captures/snapped.pcap
