explain Fixtures/rx/udp-closed-port.pcap --host Fixtures/hosts/netns-h --format bt --break ip_local_deliver_finish
