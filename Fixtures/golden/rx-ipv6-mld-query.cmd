explain Fixtures/rx/ipv6-mld-query.pcap --host Fixtures/hosts/netns-h6
