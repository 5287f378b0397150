explain Fixtures/rx/nft-nat.pcap --host Fixtures/hosts/netns-h-nft-nat
