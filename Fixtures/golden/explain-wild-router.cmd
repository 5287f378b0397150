explain Fixtures/captures/wild-router.pcap --host Fixtures/hosts/wild-router
