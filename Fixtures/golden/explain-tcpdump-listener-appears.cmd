explain Fixtures/captures/tcpdump-tests/of10_pf5240.pcap 'tcp port 6633' -c 4
