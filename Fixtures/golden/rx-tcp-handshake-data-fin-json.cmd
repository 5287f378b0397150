explain Fixtures/rx/tcp-handshake-data-fin.pcap --host Fixtures/hosts/netns-h --format json
