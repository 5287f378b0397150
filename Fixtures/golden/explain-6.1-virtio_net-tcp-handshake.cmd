explain Fixtures/rx/tcp-handshake-data-fin.pcap --host Fixtures/hosts/netns-h --kernel 6.1 --driver virtio_net
