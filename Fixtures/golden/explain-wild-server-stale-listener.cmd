explain Fixtures/captures/wild-server.pcap --host Fixtures/hosts/wild-server-stale-listener 'tcp port 8080'
