replay --tx Fixtures/captures/raw.pcap -c 3
