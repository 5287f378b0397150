explain Fixtures/captures/not-a-capture.pcap
