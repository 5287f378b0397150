explain Fixtures/captures/ethernet.pcap udp port 5353 -c 3
