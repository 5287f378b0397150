explain Fixtures/captures/netns6-eth.pcap
