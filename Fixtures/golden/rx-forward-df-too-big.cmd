explain Fixtures/rx/forward-df-too-big.pcap --host Fixtures/hosts/netns-h
