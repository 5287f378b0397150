replay --tx Fixtures/tx/ipv6-udp-3000.pcap --host Fixtures/hosts/netns-h6
