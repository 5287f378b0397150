explain Fixtures/rx/ipv6-udp-connected.pcap --host Fixtures/hosts/netns-h6-udp-connected --format json
