explain Fixtures/rx/ip-option-malformed.pcap --host Fixtures/hosts/netns-h
