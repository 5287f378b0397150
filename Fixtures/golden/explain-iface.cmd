explain Fixtures/captures/raw.pcap --host Fixtures/hosts/netns-h --iface eth1 -c 2
