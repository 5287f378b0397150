explain Fixtures/rx/igmp-query.pcap --host Fixtures/hosts/netns-h --format json
