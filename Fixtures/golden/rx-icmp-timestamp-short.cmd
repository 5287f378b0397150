explain Fixtures/rx/icmp-timestamp-short.pcap --host Fixtures/hosts/netns-h
