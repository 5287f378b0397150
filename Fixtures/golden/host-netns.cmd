host --host Fixtures/hosts/netns-h
