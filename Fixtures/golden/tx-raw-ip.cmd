replay --tx Fixtures/tx/raw-ip.pcap --host Fixtures/hosts/netns-h
