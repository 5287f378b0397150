replay --tx Fixtures/tx/tcp-connect-synack.pcap --host Fixtures/hosts/netns-h
