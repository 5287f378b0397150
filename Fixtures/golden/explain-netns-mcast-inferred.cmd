explain Fixtures/captures/netns-mcast.pcap
