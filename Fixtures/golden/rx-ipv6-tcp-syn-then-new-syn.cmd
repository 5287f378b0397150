explain Fixtures/rx/ipv6-tcp-syn-then-new-syn.pcap --host Fixtures/hosts/netns-h6
