#!/usr/bin/env bash
# The "captures from the wild" again through a masquerading router (nft `table ip nat`,
# `oifname "eth1" masquerade`; tcp/23 dropped): Fixtures/captures/nat-*.pcap, Fixtures/hosts/nat-*/.
# The router's snapshot is also the case for a snapshot quirk: iptables-save (nf_tables) prints
# empty built-in chains for an nft table named `nat` ("incompatible base-chains"); nft's view wins.
# usage: Fixtures/scripts/capture-nat.sh path/to/tracer
exec "$(dirname "$0")/capture-wild.sh" "${1:?usage: $0 path/to/tracer}" nat
