explain Fixtures/captures/ieee802_11.pcap
