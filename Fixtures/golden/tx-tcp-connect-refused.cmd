replay --tx Fixtures/tx/tcp-connect-refused.pcap --host Fixtures/hosts/netns-h
