explain Fixtures/rx/tcp-syn-then-new-syn.pcap --host Fixtures/hosts/netns-h
