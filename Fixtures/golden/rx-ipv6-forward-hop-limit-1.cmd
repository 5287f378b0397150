explain Fixtures/rx/ipv6-forward-hop-limit-1.pcap --host Fixtures/hosts/netns-h6
