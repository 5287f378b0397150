explain Fixtures/captures/netns-sll2.pcap --host Fixtures/hosts/netns-h
