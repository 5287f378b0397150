explain Fixtures/captures/netns6-eth.pcap --host Fixtures/hosts/netns-h6
