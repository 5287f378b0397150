explain Fixtures/rx/ip-option-record-route.pcap --host Fixtures/hosts/netns-h --format json
