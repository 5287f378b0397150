replay --tx Fixtures/tx/udp-route-errors.pcap --host Fixtures/hosts/netns-h
