replay --tx Fixtures/tx/ipv6-udp-output-dropped.pcap --host Fixtures/hosts/netns-h6-nft-output
