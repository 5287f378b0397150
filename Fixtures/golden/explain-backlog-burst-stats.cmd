explain Fixtures/captures/backlog-burst.pcap --host Fixtures/hosts/netns-h-backlog --stats
