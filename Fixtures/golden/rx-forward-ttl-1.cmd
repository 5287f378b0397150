explain Fixtures/rx/forward-ttl-1.pcap --host Fixtures/hosts/netns-h
