#!/usr/bin/env python3
"""The bench's big host: the default host (HostModel/DefaultHost.swift: e1000 eth0, the gateway's
neighbour entry, the three default rules) plus 100,000 routes, a 1,000-rule nftables chain and a
100,000-element set, written as a snapshot directory. make bench's scale run and the loading
test use it.

usage: bench/big_host.py DIR
"""
import json, sys

def write(snap):
    """Writes the snapshot into `snap`; returns (rules, set elements)."""
    # The default host (HostModel/DefaultHost.swift: e1000 eth0, the gateway's neighbour entry, the
    # three default rules) plus 100,000 routes and the ruleset below, so the two runs differ only in
    # what the scale run is about.
    routes = [{"dst": "default", "gateway": "192.168.1.1", "dev": "eth0", "flags": []},
              {"dst": "192.168.1.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link", "prefsrc": "192.168.1.10", "flags": []},
              {"type": "local", "dst": "127.0.0.0/8", "dev": "lo", "table": "local", "protocol": "kernel", "scope": "host", "prefsrc": "127.0.0.1", "flags": []},
              {"type": "local", "dst": "127.0.0.1", "dev": "lo", "table": "local", "protocol": "kernel", "scope": "host", "prefsrc": "127.0.0.1", "flags": []},
              {"type": "broadcast", "dst": "127.255.255.255", "dev": "lo", "table": "local", "protocol": "kernel", "scope": "link", "prefsrc": "127.0.0.1", "flags": []},
              {"type": "local", "dst": "192.168.1.10", "dev": "eth0", "table": "local", "protocol": "kernel", "scope": "host", "prefsrc": "192.168.1.10", "flags": []},
              {"type": "broadcast", "dst": "192.168.1.255", "dev": "eth0", "table": "local", "protocol": "kernel", "scope": "link", "prefsrc": "192.168.1.10", "flags": []}]
    for i in range(100_000):
        routes.append({"dst": f"100.{(i >> 8) & 255}.{i & 255}.0/24", "gateway": "192.168.1.1", "dev": "eth0", "flags": []})
    addr = [{"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "mtu": 65536, "link_type": "loopback",
             "address": "00:00:00:00:00:00", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host"}]},
            {"ifindex": 2, "ifname": "eth0", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500, "link_type": "ether",
             "address": "52:54:00:12:34:56", "addr_info": [{"family": "inet", "local": "192.168.1.10", "prefixlen": 24, "broadcast": "192.168.1.255", "scope": "global"}]}]
    json.dump(addr, open(f"{snap}/ip-addr.json", "w"))
    json.dump(routes, open(f"{snap}/ip-route.json", "w"))
    json.dump([{"priority": 0, "src": "all", "table": "local"}, {"priority": 32766, "src": "all", "table": "main"},
               {"priority": 32767, "src": "all", "table": "default"}], open(f"{snap}/ip-rule.json", "w"))
    json.dump([{"dst": "192.168.1.1", "dev": "eth0", "lladdr": "52:54:00:00:00:01", "state": ["REACHABLE"]}], open(f"{snap}/ip-neigh.json", "w"))
    open(f"{snap}/drivers.txt", "w").write("/sys/class/net/eth0/device/uevent:DRIVER=e1000\n")
    # A ruleset of 1,000 rules and a set of 100,000 addresses (nft -j's schema): every packet that
    # reaches LOCAL_IN is looked up in the set, then walks the 999 port rules, none of which match.
    RULES, ELEMENTS = 1_000, 100_000
    nft = [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
           {"table": {"family": "inet", "name": "filter", "handle": 1}},
           {"set": {"family": "inet", "name": "blocked", "table": "filter", "type": "ipv4_addr", "handle": 2,
                    "elem": [f"10.{200 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}" for i in range(ELEMENTS)]}},
           {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 3, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}},
           {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 4, "expr": [
               {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@blocked"}}, {"drop": None}]}}]
    for i in range(RULES - 1):
        nft.append({"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 5 + i, "expr": [
            {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 20000 + i}}, {"accept": None}]}})
    json.dump({"nftables": nft}, open(f"{snap}/nft.json", "w"))
    return RULES, ELEMENTS

if __name__ == "__main__":
    write(sys.argv[1])
