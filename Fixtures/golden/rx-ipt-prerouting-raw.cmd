explain Fixtures/rx/ipt-prerouting-raw.pcap --host Fixtures/hosts/netns-h-ipt-filter
