replay --tx Fixtures/tx/udp-output-dropped.pcap --host Fixtures/hosts/netns-h-nft-output
