explain Fixtures/rx/rps-udp-delivered.pcap --host Fixtures/hosts/netns-h-rps --kernel 6.1 --driver e1000 --format bt --break ip_rcv
