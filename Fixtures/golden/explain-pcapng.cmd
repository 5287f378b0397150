explain Fixtures/captures/ethernet.pcapng --host Fixtures/hosts/netns-h
