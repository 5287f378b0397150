explain Fixtures/captures/ethernet.pcapng
