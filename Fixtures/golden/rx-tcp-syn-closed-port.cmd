explain Fixtures/rx/tcp-syn-closed-port.pcap --host Fixtures/hosts/netns-h
