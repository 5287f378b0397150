replay --tx Fixtures/tx/udp-3000.pcap --host Fixtures/hosts/netns-h --pmtudisc do
