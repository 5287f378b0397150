explain Fixtures/captures/sll.pcap --host Fixtures/hosts/netns-h
