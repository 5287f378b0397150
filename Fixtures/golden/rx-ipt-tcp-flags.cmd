explain Fixtures/rx/ipt-tcp-flags.pcap --host Fixtures/hosts/netns-h-ipt-filter
