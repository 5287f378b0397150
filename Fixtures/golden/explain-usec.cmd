explain Fixtures/captures/ethernet-usec.pcap -c 3 --host Fixtures/hosts/netns-h
