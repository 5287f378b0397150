explain Fixtures/rx/tcp-syn-then-rst-out-of-window.pcap --host Fixtures/hosts/netns-h
