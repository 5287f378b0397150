explain Fixtures/rx/nft-drop.pcap --host Fixtures/hosts/netns-h-nft-filter --format json
