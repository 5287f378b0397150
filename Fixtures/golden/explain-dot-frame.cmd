explain Fixtures/captures/netns-sll2.pcap --host Fixtures/hosts/netns-h --format dot --frame 4
