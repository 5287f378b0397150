explain Fixtures/captures/sll2.pcap 'tcp or arp'
