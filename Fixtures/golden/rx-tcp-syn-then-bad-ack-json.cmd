explain Fixtures/rx/tcp-syn-then-bad-ack.pcap --host Fixtures/hosts/netns-h --format json
