explain Fixtures/rx/ipv6-icmp-ratelimit-burst.pcap --host Fixtures/hosts/netns-h6 --format json
