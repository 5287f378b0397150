explain Fixtures/rx/ipv6-hop-by-hop-unknown-option.pcap --host Fixtures/hosts/netns-h6
