replay --tx Fixtures/tx/icmp-echo.pcap --host Fixtures/hosts/netns-h
