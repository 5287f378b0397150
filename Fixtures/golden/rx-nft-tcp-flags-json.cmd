explain Fixtures/rx/nft-tcp-flags.pcap --host Fixtures/hosts/netns-h-nft-filter --format json
