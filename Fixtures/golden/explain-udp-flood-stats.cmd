explain Fixtures/captures/udp-flood.pcap --host Fixtures/hosts/udp-flood --stats
