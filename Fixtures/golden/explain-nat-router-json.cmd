explain Fixtures/captures/nat-router.pcap --host Fixtures/hosts/nat-router --format json -c 4
