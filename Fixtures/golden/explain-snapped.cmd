explain Fixtures/captures/snapped.pcap --host Fixtures/hosts/netns-h
