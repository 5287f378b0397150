explain Fixtures/rx/forward-redirect-off.pcap --host Fixtures/hosts/netns-h-noredirect
