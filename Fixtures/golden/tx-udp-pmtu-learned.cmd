replay --tx Fixtures/tx/udp-pmtu-learned.pcap --host Fixtures/hosts/netns-h
