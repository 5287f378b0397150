explain Fixtures/rx/ipv6-udp-delivered.pcap --host Fixtures/hosts/netns-h6-ct
