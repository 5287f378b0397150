explain Fixtures/rx/ipv6-tcp-syn-retransmitted.pcap --host Fixtures/hosts/netns-h6
