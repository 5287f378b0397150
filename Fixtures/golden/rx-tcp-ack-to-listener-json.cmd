explain Fixtures/rx/tcp-ack-to-listener.pcap --host Fixtures/hosts/netns-h --format json
