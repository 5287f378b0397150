replay --tx Fixtures/tx/ipv6-udp-unreachable-route.pcap --host Fixtures/hosts/netns-h6
