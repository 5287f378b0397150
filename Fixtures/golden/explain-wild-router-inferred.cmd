explain Fixtures/captures/wild-router.pcap
