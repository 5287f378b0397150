explain Fixtures/rx/unicast-in-l2-broadcast.pcap --host Fixtures/hosts/netns-h
