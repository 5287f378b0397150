explain Fixtures/captures/loop.pcap --host Fixtures/hosts/netns-h
