explain Fixtures/captures/ethernet.pcap -c 0
