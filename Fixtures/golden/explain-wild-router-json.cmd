explain Fixtures/captures/wild-router.pcap --format json -c 4
