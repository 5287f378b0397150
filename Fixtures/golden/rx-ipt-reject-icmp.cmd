explain Fixtures/rx/ipt-reject-icmp.pcap --host Fixtures/hosts/netns-h-ipt-filter
