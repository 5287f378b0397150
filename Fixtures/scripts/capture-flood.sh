#!/usr/bin/env bash
# A real UDP flood: python in namespace W sends 2000 datagrams of 200 bytes as fast as it can to
# UDP 5000 on namespace H, whose application bound the port and does not read until the flood
# is over (a stalled service). tcpdump on H's eth0 captures the flood; `tracer snapshot` runs in H
# after it (the socket's Recv-Q shows the queue it left); nstat records what the kernel counted.
#   Fixtures/captures/udp-flood.pcap     the capture (Ethernet, as tcpdump -i eth0 writes it)
#   Fixtures/hosts/udp-flood/            the snapshot
#   Fixtures/captures/udp-flood.nstat    H's UDP counters after the flood (nstat -a, Udp*)
# Needs root, iproute2, tcpdump, python3. Only its own namespaces are touched; deleted on exit.
# usage: Fixtures/scripts/capture-flood.sh path/to/tracer
set -euo pipefail
H=tracer-fx-fh W=tracer-fx-fw
source "$(dirname "$0")/netns-pair.sh"
for n in $H $W; do ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; ip -n $n link set lo up; done
ip link add eth0 netns $H type veth peer name p0 netns $W
ip -n $H link set eth0 address 02:00:00:00:00:01 up
ip -n $W link set p0 address 02:00:00:00:00:fe up
ip -n $H addr add 10.1.0.2/24 dev eth0
ip -n $W addr add 10.1.0.1/24 dev p0
ip -n $H neigh add 10.1.0.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
ip -n $W neigh add 10.1.0.2 lladdr 02:00:00:00:00:01 dev eth0 nud permanent 2>/dev/null || ip -n $W neigh add 10.1.0.2 lladdr 02:00:00:00:00:01 dev p0 nud permanent
pcap="$top/Fixtures/captures/udp-flood.pcap" out="$top/Fixtures/hosts/udp-flood"
ip netns exec $H tcpdump -q -n -i eth0 -w "$pcap" udp 2>/dev/null & pids+=($!)
ip netns exec $H python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5000))
open(sys.argv[1], "w").close()
time.sleep(30)
' /tmp/tracer-fx-flood.bound & pids+=($!)
while [ ! -e /tmp/tracer-fx-flood.bound ]; do sleep 0.1; done; rm -f /tmp/tracer-fx-flood.bound
sleep 1
ip netns exec $H nstat -n
ip netns exec $W python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000): s.sendto(bytes([i % 256]) * 200, ("10.1.0.2", 5000))
'
sleep 1
ip netns exec $H nstat -a 2>/dev/null | awk '$1 ~ /^Udp(InDatagrams|InErrors|RcvbufErrors)$/ {print $1, $2}' > "$top/Fixtures/captures/udp-flood.nstat"
rm -rf "$out"; ip netns exec $H "$tracer" snapshot -o "$out" >/dev/null
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
echo "wrote $pcap, $out, Fixtures/captures/udp-flood.nstat: $(tr '\n' ' ' < "$top/Fixtures/captures/udp-flood.nstat")"
