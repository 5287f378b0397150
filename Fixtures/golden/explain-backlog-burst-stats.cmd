explain Fixtures/rx/backlog-burst.pcap --host Fixtures/hosts/netns-h-backlog --stats
