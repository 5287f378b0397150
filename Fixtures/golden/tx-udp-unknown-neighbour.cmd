replay --tx Fixtures/tx/udp-unknown-neighbour.pcap --host Fixtures/hosts/netns-h
