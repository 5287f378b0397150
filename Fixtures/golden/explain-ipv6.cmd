explain Fixtures/captures/ipv6.pcap --host Fixtures/hosts/netns-h
