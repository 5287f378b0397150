explain Fixtures/rx/nft-stateful.pcap --host Fixtures/hosts/netns-h-nft-stateful --format json
