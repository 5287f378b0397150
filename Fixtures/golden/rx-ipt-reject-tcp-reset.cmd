explain Fixtures/rx/ipt-reject-tcp-reset.pcap --host Fixtures/hosts/netns-h-ipt-filter
