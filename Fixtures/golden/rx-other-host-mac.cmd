explain Fixtures/rx/other-host-mac.pcap --host Fixtures/hosts/netns-h
