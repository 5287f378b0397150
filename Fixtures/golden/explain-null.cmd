explain Fixtures/captures/null.pcap --host Fixtures/hosts/netns-h
