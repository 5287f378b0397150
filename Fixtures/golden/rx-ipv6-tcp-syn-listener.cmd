explain Fixtures/rx/ipv6-tcp-syn-listener.pcap --host Fixtures/hosts/netns-h6
