explain Fixtures/rx/route-blackhole.pcap --host Fixtures/hosts/netns-h --format json
