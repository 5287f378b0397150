explain Fixtures/rx/mcast-joined-no-socket.pcap --host Fixtures/hosts/netns-h-mcast --format json
