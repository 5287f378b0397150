explain Fixtures/captures/ethernet.pcap --host Fixtures/no-such-snapshot
