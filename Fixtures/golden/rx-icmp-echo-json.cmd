explain Fixtures/rx/icmp-echo.pcap --host Fixtures/hosts/netns-h --format json
