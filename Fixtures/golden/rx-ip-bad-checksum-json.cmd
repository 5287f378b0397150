explain Fixtures/rx/ip-bad-checksum.pcap --host Fixtures/hosts/netns-h --format json
