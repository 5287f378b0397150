explain Fixtures/rx/unicast-in-l2-multicast-drop.pcap --host Fixtures/hosts/netns-h-l2drop
