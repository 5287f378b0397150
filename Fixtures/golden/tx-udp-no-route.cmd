replay --tx Fixtures/tx/udp-no-route.pcap --host Fixtures/hosts/netns-h-nodefault
