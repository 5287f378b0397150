explain Fixtures/captures/ipv4.pcap --host Fixtures/hosts/netns-h
