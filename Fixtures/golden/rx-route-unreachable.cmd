explain Fixtures/rx/route-unreachable.pcap --host Fixtures/hosts/netns-h
