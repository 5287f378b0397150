explain Fixtures/rx/mcast-unjoined.pcap --host Fixtures/hosts/netns-h-mcast
