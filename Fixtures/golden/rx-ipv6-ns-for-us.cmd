explain Fixtures/rx/ipv6-ns-for-us.pcap --host Fixtures/hosts/netns-h6
