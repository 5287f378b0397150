explain Fixtures/rx/icmp-ratelimit-burst.pcap --host Fixtures/hosts/netns-h --stats
