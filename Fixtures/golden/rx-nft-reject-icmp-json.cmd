explain Fixtures/rx/nft-reject-icmp.pcap --host Fixtures/hosts/netns-h-nft-filter --format json
