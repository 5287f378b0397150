explain Fixtures/rx/udp-checksum-partial.pcap --host Fixtures/hosts/netns-h
