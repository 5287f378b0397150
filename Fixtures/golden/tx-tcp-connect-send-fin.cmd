replay --tx Fixtures/tx/tcp-connect-send-fin.pcap --host Fixtures/hosts/netns-h
