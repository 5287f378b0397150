explain Fixtures/rx/icmp-timestamp.pcap --host Fixtures/hosts/netns-h --format json
