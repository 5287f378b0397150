explain Fixtures/captures/ethernet.pcap --host Fixtures/hosts/netns-h --stats
