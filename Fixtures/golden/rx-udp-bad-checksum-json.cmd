explain Fixtures/rx/udp-bad-checksum.pcap --host Fixtures/hosts/netns-h --format json
