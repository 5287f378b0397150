explain Fixtures/captures/ethernet.pcap 'udpp port'
