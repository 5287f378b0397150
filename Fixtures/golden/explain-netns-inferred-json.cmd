explain Fixtures/captures/netns-sll2.pcap --format json -c 3
