#!/usr/bin/env bash
# Makes the real-kernel fixtures: a host snapshot taken inside a network namespace, and a
# LINUX_SLL2 capture of real traffic to and from that host.
#   Fixtures/hosts/netns-h/          `tracer snapshot` run inside netns h
#   Fixtures/hosts/netns-h-noforward/ the same with net.ipv4.ip_forward=0
#   Fixtures/hosts/netns-h-nodefault/ the same without its default route
#   Fixtures/captures/netns-sll2.pcap  tcpdump -i any -y LINUX_SLL2 in h while w talks to it
# Needs root, iproute2, nftables, tcpdump, ethtool, python3. Only the namespaces it creates are touched;
# they are deleted on exit, also on failure.
# usage: Fixtures/scripts/capture-netns.sh path/to/tracer
set -euo pipefail
H=tracer-fx-h W=tracer-fx-w
source "$(dirname "$0")/netns-pair.sh"
ip -n $H link set lo up
ip -n $W link set lo up
ip link add eth0 netns $H type veth peer name p0 netns $W
ip -n $H link set eth0 address 02:00:00:00:00:01 mtu 1500 up
ip -n $W link set p0 address 02:00:00:00:00:fe up
# A second, smaller-MTU interface for forwarding cases later.
ip link add eth1 netns $H type veth peer name p1 netns $W
ip -n $H link set eth1 address 02:00:00:00:01:01 mtu 1400 up
ip -n $W link set p1 address 02:00:00:00:01:fe up
# veth offloads TCP/UDP checksums (CHECKSUM_PARTIAL): a capture would show only the pseudo-header
# sum in the field. Switch that off so the captured bytes are what a real wire carries.
for d in "$H eth0" "$H eth1" "$W p0" "$W p1"; do set -- $d; ip netns exec $1 ethtool -K $2 tx off >/dev/null; done

ip -n $H addr add 10.1.0.2/24 dev eth0
ip -n $H addr add 10.2.0.2/24 dev eth1
ip -n $W addr add 10.1.0.1/24 dev p0
ip -n $W addr add 10.2.0.1/24 dev p1
ip -n $H route add default via 10.1.0.1
ip -n $H route add 10.9.0.0/16 via 10.2.0.1 mtu 1280 metric 50
ip -n $H route add blackhole 10.66.0.0/16
ip -n $H route add unreachable 10.67.0.0/16
ip -n $H route add prohibit 10.68.0.0/16
ip -n $H route add 10.70.0.0/16 via 10.2.0.1 table 100 proto static
ip -n $H route add throw 10.71.0.0/16 table 100
ip -n $H rule add from 10.1.0.0/24 to 10.70.0.0/15 table 100 pref 100
ip -n $H rule add fwmark 0x10/0xff table 100 pref 101
ip -n $H neigh add 10.1.0.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
ip -n $H neigh add 10.2.0.1 lladdr 02:00:00:00:01:fe dev eth1 nud permanent
ip -n $W neigh add 10.1.0.2 lladdr 02:00:00:00:00:01 dev p0 nud permanent
ip netns exec $H sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.eth0.rp_filter=1
ip netns exec $H nft -f - <<'NFT'
table inet filter {
    chain input {
        type filter hook input priority filter; policy accept;
        udp dport 9 counter drop
    }
}
NFT
# Sockets the snapshot lists and the capture talks to: UDP 5353, TCP 80 listener.
ip netns exec $H python3 -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 5353))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("10.1.0.2", 80)); t.listen(8)
time.sleep(30)' &
pids+=($!)
sleep 0.5

rm -rf "$top/Fixtures/hosts/netns-h"
ip netns exec $H "$tracer" snapshot -o "$top/Fixtures/hosts/netns-h"

# The same host with forwarding off.
ip netns exec $H sysctl -qw net.ipv4.ip_forward=0
rm -rf "$top/Fixtures/hosts/netns-h-noforward"
ip netns exec $H "$tracer" snapshot -o "$top/Fixtures/hosts/netns-h-noforward"
ip netns exec $H sysctl -qw net.ipv4.ip_forward=1

# The same host without its default route (transmit cases: ENETUNREACH).
ip -n $H route del default
rm -rf "$top/Fixtures/hosts/netns-h-nodefault"
ip netns exec $H "$tracer" snapshot -o "$top/Fixtures/hosts/netns-h-nodefault"
ip -n $H route add default via 10.1.0.1

pcap="$top/Fixtures/captures/netns-sll2.pcap"
ip netns exec $H tcpdump -q -n -i any -y LINUX_SLL2 -w "$pcap" 'not ip6' 2>/dev/null &
pids+=($!)
sleep 1
ip netns exec $W python3 -c '
import socket, struct, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
body = bytes(range(56))
echo = struct.pack("!BBHHH", 8, 0, 0, 7, 1) + body
echo = echo[:2] + struct.pack("!H", csum(echo)) + echo[4:]
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
r.sendto(echo, ("10.1.0.2", 0))                   # echo request: echo reply
time.sleep(0.2)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello kernel", ("10.1.0.2", 5353))   # delivered
s.sendto(b"hello kernel", ("10.1.0.2", 5354))   # closed port: ICMP port unreachable
time.sleep(0.2)
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.settimeout(1)
t.connect(("10.1.0.2", 80)); t.close()           # handshake with the listener
time.sleep(0.2)
try:
    c = socket.create_connection(("10.1.0.2", 81), timeout=1)  # closed port: RST
except OSError:
    pass
'
sleep 1
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
echo "wrote $pcap and $top/Fixtures/hosts/netns-h"
