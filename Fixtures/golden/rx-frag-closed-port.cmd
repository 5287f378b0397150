explain Fixtures/rx/frag-closed-port.pcap --host Fixtures/hosts/netns-h
