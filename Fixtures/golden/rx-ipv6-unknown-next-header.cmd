explain Fixtures/rx/ipv6-unknown-next-header.pcap --host Fixtures/hosts/netns-h6
