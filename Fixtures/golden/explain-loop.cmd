explain Fixtures/captures/loop.pcap
