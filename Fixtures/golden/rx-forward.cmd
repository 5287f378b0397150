explain Fixtures/rx/forward.pcap --host Fixtures/hosts/netns-h
