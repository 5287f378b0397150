replay --tx Fixtures/tx/ipv6-ping.pcap --host Fixtures/hosts/netns-h6
