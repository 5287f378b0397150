explain Fixtures/captures/raw.pcap --host Fixtures/hosts/netns-h
