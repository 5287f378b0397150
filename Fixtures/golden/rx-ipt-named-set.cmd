explain Fixtures/rx/ipt-named-set.pcap --host Fixtures/hosts/netns-h-ipt-filter
