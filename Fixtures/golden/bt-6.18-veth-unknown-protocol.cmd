explain Fixtures/rx/unknown-protocol.pcap --host Fixtures/hosts/netns-h --format bt
