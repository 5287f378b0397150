explain Fixtures/rx/tcp-syn-retransmitted.pcap --host Fixtures/hosts/netns-h --format json
