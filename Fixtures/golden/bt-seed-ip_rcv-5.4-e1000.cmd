explain Fixtures/captures/netns-sll2.pcap 'udp port 5353' --kernel 5.4 --driver e1000 --format bt --break ip_rcv
