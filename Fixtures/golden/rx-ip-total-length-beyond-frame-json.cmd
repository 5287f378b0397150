explain Fixtures/rx/ip-total-length-beyond-frame.pcap --host Fixtures/hosts/netns-h --format json
