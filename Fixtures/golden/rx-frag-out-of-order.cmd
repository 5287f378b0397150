explain Fixtures/rx/frag-out-of-order.pcap --host Fixtures/hosts/netns-h
