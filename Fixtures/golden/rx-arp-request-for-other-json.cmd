explain Fixtures/rx/arp-request-for-other.pcap --host Fixtures/hosts/netns-h --format json
