explain Fixtures/captures/sll.pcap
