replay --tx Fixtures/tx/udp-small.pcap --host Fixtures/hosts/netns-h --syscall sendmsg --format bt --break dev_hard_start_xmit
