explain Fixtures/rx/nft-jump-return.pcap --host Fixtures/hosts/netns-h-nft-filter
