#!/usr/bin/env bash
# Makes the snapshots that differ from Fixtures/hosts/netns-h in one sysctl: each is netns-h with
# the named lines of its sysctl.txt (real `sysctl -a` output) given another value, exactly as
# `sysctl -w` would then print them. The oracle applies a snapshot's sysctls to its namespace,
# so the live kernel runs with the same setting.
#   netns-h-l2drop     net.ipv4.conf.eth0.drop_unicast_in_l2_multicast = 1 (RFC 1122 3.3.6)
#   netns-h-noredirect net.ipv4.conf.{all,eth0}.send_redirects = 0 (no ICMP redirects sent)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
derive() {
    local name=$1; shift
    local out="$top/Fixtures/hosts/$name"
    rm -rf "$out"; cp -r "$top/Fixtures/hosts/netns-h" "$out"
    for kv in "$@"; do
        key=${kv%%=*} value=${kv#*=}
        grep -q "^$key = " "$out/sysctl.txt" || { echo "derive-hosts: $key not in netns-h's sysctl.txt" >&2; exit 1; }
        sed -i "s|^$key = .*|$key = $value|" "$out/sysctl.txt"
    done
    echo "wrote $out ($*)"
}
derive netns-h-l2drop net.ipv4.conf.eth0.drop_unicast_in_l2_multicast=1
derive netns-h-noredirect net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
