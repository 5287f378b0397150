explain Fixtures/rx/ipv6-ns-dad-for-us.pcap --host Fixtures/hosts/netns-h6
