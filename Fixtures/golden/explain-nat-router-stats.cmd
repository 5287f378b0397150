explain Fixtures/captures/nat-router.pcap --stats
