explain Fixtures/rx/nft-stateful-fragments.pcap --host Fixtures/hosts/netns-h-nft-stateful
