explain Fixtures/captures/netns-mcast.pcap --host Fixtures/hosts/netns-h-mcast
