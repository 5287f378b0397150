explain Fixtures/captures/ipv4.pcap
