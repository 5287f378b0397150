explain Fixtures/rx/nft-forward.pcap --host Fixtures/hosts/netns-h-nft-filter
