explain Fixtures/rx/ip-option-source-route.pcap --host Fixtures/hosts/netns-h --format json
