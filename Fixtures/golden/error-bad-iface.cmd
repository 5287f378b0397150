explain Fixtures/captures/ethernet.pcap --iface wlan9
