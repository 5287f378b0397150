explain Fixtures/rx/frag-too-far.pcap --host Fixtures/hosts/netns-h
