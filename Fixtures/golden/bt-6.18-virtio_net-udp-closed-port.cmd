explain Fixtures/rx/udp-closed-port.pcap --host Fixtures/hosts/netns-h --kernel 6.18 --driver virtio_net --format bt
