explain Fixtures/rx/frag-forward-smaller-mtu.pcap --host Fixtures/hosts/netns-h --format json
