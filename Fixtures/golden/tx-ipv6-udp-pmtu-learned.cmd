replay --tx Fixtures/tx/ipv6-udp-pmtu-learned.pcap --host Fixtures/hosts/netns-h6
