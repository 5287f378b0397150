explain Fixtures/rx/ipt-drop.pcap --host Fixtures/hosts/netns-h-ipt-filter
