#!/usr/bin/env bash
# A 40 KB HTTP download between two namespaces (veth default offloads: TSO super-packets on
# the sender, passed on whole to the receiver), captured on both ends and snapshotted, for
# `tracer verify OUT/server.pcap --host OUT/host-server` (and client). Not in make oracle: bulk
# sending is the kernel's own business (cwnd, TSO autosizing, the receive window growing), which
# the model does not follow yet (issue 21's note). usage: capture-bulk.sh path/to/tracer [outdir]
set -euo pipefail
tracer=$(realpath "${1:?usage: $0 path/to/tracer [outdir]}")
C=tracer-bulk-c S=tracer-bulk-s out=${2:-/tmp/tracer-bulk}
cleanup() { kill %1 %2 %3 2>/dev/null || true; wait 2>/dev/null || true; ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true; }
trap cleanup EXIT
cleanup
rm -rf $out; mkdir -p $out/www
head -c 40000 /dev/urandom | base64 > $out/www/big.txt
for n in $C $S; do ip netns add $n; ip -n $n link set lo up; ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
ip link add eth0 netns $C type veth peer name eth0 netns $S
ip -n $C link set eth0 address 02:00:00:0d:00:02 up
ip -n $S link set eth0 address 02:00:00:0d:00:01 up
ip -n $C addr add 10.30.0.2/24 dev eth0
ip -n $S addr add 10.30.0.1/24 dev eth0
(cd $out/www && exec ip netns exec $S python3 -m http.server 8080 --bind 10.30.0.1) >/dev/null 2>&1 &
sleep 1
ip netns exec $C ping -c1 -q 10.30.0.1 >/dev/null
ip netns exec $C tcpdump -q -n -U -i eth0 -w $out/client.pcap 2>/dev/null &
ip netns exec $S tcpdump -q -n -U -i eth0 -w $out/server.pcap 2>/dev/null &
sleep 1
ip netns exec $C curl -s -o /dev/null http://10.30.0.1:8080/big.txt
sleep 1
ip netns exec $C "$tracer" snapshot -o $out/host-client >/dev/null
ip netns exec $S "$tracer" snapshot -o $out/host-server >/dev/null
sleep 0.5
