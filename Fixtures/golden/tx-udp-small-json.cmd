replay --tx Fixtures/tx/udp-small.pcap --host Fixtures/hosts/netns-h --format json
