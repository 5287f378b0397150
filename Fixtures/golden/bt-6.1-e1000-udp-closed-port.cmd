explain Fixtures/rx/udp-closed-port.pcap --host Fixtures/hosts/netns-h --kernel 6.1 --driver e1000 --format bt
