explain Fixtures/rx/nft-prerouting-raw.pcap --host Fixtures/hosts/netns-h-nft-filter
