explain Fixtures/rx/ipv6-tcp-syn-then-rst-in-window.pcap --host Fixtures/hosts/netns-h6
