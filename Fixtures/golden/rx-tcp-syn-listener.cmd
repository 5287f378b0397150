explain Fixtures/rx/tcp-syn-listener.pcap --host Fixtures/hosts/netns-h
