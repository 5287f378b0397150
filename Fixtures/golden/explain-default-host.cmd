explain Fixtures/rx/udp-delivered.pcap --host default
