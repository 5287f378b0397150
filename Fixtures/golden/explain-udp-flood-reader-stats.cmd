explain Fixtures/captures/udp-flood.pcap --host Fixtures/hosts/udp-flood --stats --reader 5000=100000/s
