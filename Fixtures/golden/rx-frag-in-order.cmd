explain Fixtures/rx/frag-in-order.pcap --host Fixtures/hosts/netns-h
