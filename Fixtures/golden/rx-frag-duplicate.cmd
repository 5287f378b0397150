explain Fixtures/rx/frag-duplicate.pcap --host Fixtures/hosts/netns-h
