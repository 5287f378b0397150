explain Fixtures/captures/ethernet-usec.pcap -c 3
