replay --tx Fixtures/tx/udp-3000.pcap --host Fixtures/hosts/netns-h --format bt --break dev_hard_start_xmit
