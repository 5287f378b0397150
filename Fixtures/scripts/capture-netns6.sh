#!/usr/bin/env bash
# Makes the dual-stack real-kernel fixtures: a host snapshot taken inside a network namespace
# with IPv6 running (EUI-64 link-local addresses, DAD, MLD and ND as the kernel does them), and an
# Ethernet capture of real programs talking to that host over IPv6 and IPv4.
#   Fixtures/hosts/netns-h6/           `tracer snapshot` inside netns h (IPv6 forwarding on)
#   Fixtures/captures/netns6-eth.pcap  tcpdump -i eth0 in h while w pings, sends UDP, connects
# With HOST_MODE=1 it makes only Fixtures/hosts/netns-h6-host: the same host with IPv4 and IPv6
# forwarding off (a host, not a router: RAs accepted, RSs ignored, nothing forwarded).
# Needs root, iproute2, nftables, tcpdump, python3, ping. Only the namespaces it creates are
# touched; they are deleted on exit, also on failure.
# usage: Fixtures/scripts/capture-netns6.sh path/to/tracer
set -euo pipefail
H=tracer-fx6-h W=tracer-fx6-w
source "$(dirname "$0")/netns-pair.sh"
ip -n $H link set lo up
ip -n $W link set lo up
ip link add eth0 netns $H type veth peer name p0 netns $W
ip -n $H link set eth0 address 02:00:00:00:00:01 mtu 1500
ip -n $W link set p0 address 02:00:00:00:00:fe
ip link add eth1 netns $H type veth peer name p1 netns $W
ip -n $H link set eth1 address 02:00:00:00:01:01 mtu 1400
ip -n $W link set p1 address 02:00:00:00:01:fe
for d in "$H eth0" "$H eth1" "$W p0" "$W p1"; do set -- $d; ip netns exec $1 ethtool -K $2 tx off >/dev/null; done
if [ "${HOST_MODE:-0}" = 1 ]; then fwd=0; else fwd=1; fi
ip netns exec $H sysctl -qw net.ipv4.ip_forward=$fwd net.ipv6.conf.all.forwarding=$fwd

ip -n $H addr add 10.1.0.2/24 dev eth0
ip -n $H addr add 10.2.0.2/24 dev eth1
ip -n $W addr add 10.1.0.1/24 dev p0
ip -n $W addr add 10.2.0.1/24 dev p1
ip -n $H addr add 2001:db8:1::2/64 dev eth0
ip -n $H addr add 2001:db8:2::2/64 dev eth1
ip -n $W addr add 2001:db8:1::1/64 dev p0
ip -n $W addr add 2001:db8:2::1/64 dev p1
for d in "$H eth0" "$H eth1" "$W p0" "$W p1"; do set -- $d; ip -n $1 link set $2 up; done
ip -n $H route add default via 10.1.0.1
ip -n $H -6 route add default via 2001:db8:1::1 dev eth0
ip -n $H -6 route add 2001:db8:9::/48 via 2001:db8:2::1 dev eth1
ip -n $H -6 route add blackhole 2001:db8:66::/48
ip -n $H -6 route add unreachable 2001:db8:67::/48
ip -n $H -6 route add prohibit 2001:db8:68::/48
ip -n $H neigh add 10.1.0.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
ip -n $H neigh add 2001:db8:1::1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
ip -n $H neigh add 2001:db8:2::1 lladdr 02:00:00:00:01:fe dev eth1 nud permanent
ip netns exec $H nft -f - <<'NFT'
table inet filter {
    chain input {
        type filter hook input priority filter; policy accept;
        udp dport 9 counter drop
    }
}
table ip6 v6only {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp dport 23 counter reject with tcp reset
    }
}
NFT
sleep 2   # DAD
# Sockets the snapshot lists and the capture talks to: UDP 5353 (dual stack), TCP 80 listener.
ip netns exec $H python3 -c '
import socket, time
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); u.bind(("::", 5353))
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); t.bind(("2001:db8:1::2", 80)); t.listen(8)
time.sleep(30)' &
pids+=($!)
sleep 0.5
if [ "${HOST_MODE:-0}" = 1 ]; then
    rm -rf "$top/Fixtures/hosts/netns-h6-host"
    ip netns exec $H "$tracer" snapshot -o "$top/Fixtures/hosts/netns-h6-host"
    exit 0
fi
rm -rf "$top/Fixtures/hosts/netns-h6"
ip netns exec $H "$tracer" snapshot -o "$top/Fixtures/hosts/netns-h6"

pcap="$top/Fixtures/captures/netns6-eth.pcap"
ip -n $W neigh flush dev p0
ip netns exec $H ip neigh flush dev eth0 nud stale nud reachable nud delay 2>/dev/null || true
ip netns exec $H tcpdump -q -n -i eth0 -w "$pcap" 2>/dev/null &
pids+=($!)
sleep 1
ip netns exec $W ping -6 -c 1 -W 1 2001:db8:1::2 >/dev/null
ip netns exec $W ping -6 -c 1 -W 1 -I p0 fe80::ff:fe00:1 >/dev/null
ip netns exec $W python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"hello kernel", ("2001:db8:1::2", 5353))   # delivered
s.sendto(b"hello kernel", ("2001:db8:1::2", 5354))   # closed port: port unreachable
time.sleep(0.2)
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); t.settimeout(1)
t.connect(("2001:db8:1::2", 80)); t.close()           # handshake with the listener
time.sleep(0.2)
try:
    socket.create_connection(("2001:db8:1::2", 81), timeout=1)   # closed port: RST
except OSError:
    pass
'
sleep 1
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
echo "wrote $pcap and $top/Fixtures/hosts/netns-h6"
