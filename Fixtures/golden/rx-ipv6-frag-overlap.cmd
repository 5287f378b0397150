explain Fixtures/rx/ipv6-frag-overlap.pcap --host Fixtures/hosts/netns-h6
