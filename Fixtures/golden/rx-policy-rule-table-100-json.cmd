explain Fixtures/rx/policy-rule-table-100.pcap --host Fixtures/hosts/netns-h --format json
