explain Fixtures/rx/forward-redirect.pcap --host Fixtures/hosts/netns-h
