explain Fixtures/rx/udp-rcvbuf-full.pcap --host Fixtures/hosts/netns-h-rcvbuf --reader 5000=20000/s
