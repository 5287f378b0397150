replay --tx Fixtures/tx/tcp-connect-send-fin.pcap --host Fixtures/hosts/netns-h --format bt --break dev_hard_start_xmit
