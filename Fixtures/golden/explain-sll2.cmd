explain Fixtures/captures/sll2.pcap --host Fixtures/hosts/netns-h
