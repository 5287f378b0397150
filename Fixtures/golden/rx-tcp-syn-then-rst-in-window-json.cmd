explain Fixtures/rx/tcp-syn-then-rst-in-window.pcap --host Fixtures/hosts/netns-h --format json
