replay --tx Fixtures/tx/tcp-connect-synack-paws.pcap --host Fixtures/hosts/netns-h
