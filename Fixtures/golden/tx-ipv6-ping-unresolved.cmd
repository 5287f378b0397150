replay --tx Fixtures/tx/ipv6-ping-unresolved.pcap --host Fixtures/hosts/netns-h6
