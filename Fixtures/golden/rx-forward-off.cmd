explain Fixtures/rx/forward-off.pcap --host Fixtures/hosts/netns-h-noforward
