explain Fixtures/rx/rps-udp-closed-port.pcap --host Fixtures/hosts/netns-h-rps --kernel 6.1 --driver e1000
