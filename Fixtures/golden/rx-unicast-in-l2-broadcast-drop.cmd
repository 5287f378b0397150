explain Fixtures/rx/unicast-in-l2-broadcast-drop.pcap --host Fixtures/hosts/netns-h-l2drop
