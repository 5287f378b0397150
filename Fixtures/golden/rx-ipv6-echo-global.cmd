explain Fixtures/rx/ipv6-echo-global.pcap --host Fixtures/hosts/netns-h6
