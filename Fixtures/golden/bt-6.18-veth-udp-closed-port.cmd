explain Fixtures/rx/udp-closed-port.pcap --host Fixtures/hosts/netns-h --format bt
