explain Fixtures/rx/martian-source.pcap --host Fixtures/hosts/netns-h --format json
