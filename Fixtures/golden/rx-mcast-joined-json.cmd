explain Fixtures/rx/mcast-joined.pcap --host Fixtures/hosts/netns-h-mcast --format json
