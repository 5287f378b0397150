replay --tx Fixtures/tx/tcp-connect-synack-bad-ack.pcap --host Fixtures/hosts/netns-h
