explain Fixtures/rx/ipv6-host-ra.pcap --host Fixtures/hosts/netns-h6-host
