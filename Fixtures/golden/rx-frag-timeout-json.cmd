explain Fixtures/rx/frag-timeout.pcap --host Fixtures/hosts/netns-h --format json
