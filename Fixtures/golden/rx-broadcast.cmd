explain Fixtures/rx/broadcast.pcap --host Fixtures/hosts/netns-h
