explain Fixtures/rx/udp-connected.pcap --host Fixtures/hosts/netns-h-udp-connected
