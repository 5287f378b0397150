explain Fixtures/captures/netns-sll2.pcap
