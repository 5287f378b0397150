explain Fixtures/rx/udp-delivered.pcap --host Fixtures/hosts/netns-h --format json
