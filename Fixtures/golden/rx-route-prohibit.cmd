explain Fixtures/rx/route-prohibit.pcap --host Fixtures/hosts/netns-h
