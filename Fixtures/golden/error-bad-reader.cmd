explain Fixtures/rx/udp-delivered.pcap --host Fixtures/hosts/netns-h --reader 5353=sometimes
