explain Fixtures/rx/rp-filter-spoofed-source.pcap --host Fixtures/hosts/netns-h
