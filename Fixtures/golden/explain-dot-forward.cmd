explain Fixtures/captures/wild-router.pcap --host Fixtures/hosts/wild-router --format dot --frame 3
