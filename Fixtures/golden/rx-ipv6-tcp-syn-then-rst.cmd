explain Fixtures/rx/ipv6-tcp-syn-then-rst.pcap --host Fixtures/hosts/netns-h6
