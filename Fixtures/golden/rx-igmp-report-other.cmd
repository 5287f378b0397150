explain Fixtures/rx/igmp-report-other.pcap --host Fixtures/hosts/netns-h-mcast
