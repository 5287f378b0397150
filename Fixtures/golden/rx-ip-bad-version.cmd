explain Fixtures/rx/ip-bad-version.pcap --host Fixtures/hosts/netns-h
