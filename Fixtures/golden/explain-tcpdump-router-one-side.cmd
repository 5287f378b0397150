explain Fixtures/captures/tcpdump-tests/erspan-type-i-4.pcap -c 2
