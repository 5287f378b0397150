replay --tx Fixtures/tx/seed-udp.pcap --host default --kernel 6.1 --driver e1000 --format bt --syscall sendto --break __dev_queue_xmit
