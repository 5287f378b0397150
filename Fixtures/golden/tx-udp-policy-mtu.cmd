replay --tx Fixtures/tx/udp-policy-mtu.pcap --host Fixtures/hosts/netns-h --bind
