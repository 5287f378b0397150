explain Fixtures/captures/malformed.pcap --host Fixtures/hosts/netns-h
