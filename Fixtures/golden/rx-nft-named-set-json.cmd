explain Fixtures/rx/nft-named-set.pcap --host Fixtures/hosts/netns-h-nft-filter --format json
