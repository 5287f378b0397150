explain Fixtures/captures/truncated.pcap
