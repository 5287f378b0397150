explain Fixtures/captures/null.pcap
