replay --tx Fixtures/tx/seed-udp.pcap --host default --kernel 5.4 --driver e1000 --format bt --syscall sendto --break dev_hard_start_xmit
