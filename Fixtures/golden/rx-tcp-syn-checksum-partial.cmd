explain Fixtures/rx/tcp-syn-checksum-partial.pcap --host Fixtures/hosts/netns-h
