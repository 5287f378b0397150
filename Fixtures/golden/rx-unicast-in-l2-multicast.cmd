explain Fixtures/rx/unicast-in-l2-multicast.pcap --host Fixtures/hosts/netns-h
