explain Fixtures/rx/ip-bad-ihl.pcap --host Fixtures/hosts/netns-h --format json
