explain Fixtures/rx/ipt-jump-return.pcap --host Fixtures/hosts/netns-h-ipt-filter
