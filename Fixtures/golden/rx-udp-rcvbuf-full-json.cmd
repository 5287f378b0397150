explain Fixtures/rx/udp-rcvbuf-full.pcap --host Fixtures/hosts/netns-h-rcvbuf --format json
