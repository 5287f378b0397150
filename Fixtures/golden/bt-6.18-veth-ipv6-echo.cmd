explain Fixtures/rx/ipv6-echo-global.pcap --host Fixtures/hosts/netns-h6 --format bt --break icmpv6_echo_reply
