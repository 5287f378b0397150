explain Fixtures/rx/ipv6-frag-out-of-order.pcap --host Fixtures/hosts/netns-h6
