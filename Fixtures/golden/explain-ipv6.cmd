explain Fixtures/captures/ipv6.pcap
