explain Fixtures/rx/ipt-forward.pcap --host Fixtures/hosts/netns-h-ipt-filter
