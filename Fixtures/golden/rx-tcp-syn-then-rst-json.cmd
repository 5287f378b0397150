explain Fixtures/rx/tcp-syn-then-rst.pcap --host Fixtures/hosts/netns-h --format json
