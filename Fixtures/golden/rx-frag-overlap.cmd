explain Fixtures/rx/frag-overlap.pcap --host Fixtures/hosts/netns-h
