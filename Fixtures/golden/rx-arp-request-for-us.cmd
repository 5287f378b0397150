explain Fixtures/rx/arp-request-for-us.pcap --host Fixtures/hosts/netns-h
