explain Fixtures/rx/nft-reject-tcp-reset.pcap --host Fixtures/hosts/netns-h-nft-filter
