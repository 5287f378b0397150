replay --tx Fixtures/tx/seed-udp.pcap --host Fixtures/hosts/default-stale --kernel 5.4 --driver e1000 --format bt --syscall sendmmsg --break __dev_queue_xmit
