#!/usr/bin/env bash
# Makes the "captures from the wild" fixtures: three hosts in network namespaces — a client, a
# router with an nft forward filter and a server — running real programs (ping, curl against
# Python's http.server, a Python UDP service, connections to closed ports, a TTL 1 probe), with
# real ARP (no static neighbours) and the kernel's default offloads (veth leaves TCP/UDP
# checksums to "hardware": CHECKSUM_PARTIAL, as in any container capture). Captured as a user
# would, with plain tcpdump -w:
#   Fixtures/captures/wild-client.pcap   tcpdump -i eth0 on the client (Ethernet)
#   Fixtures/captures/wild-server.pcap   tcpdump -i eth0 on the server (Ethernet), started after
#                                        the neighbours were resolved: no ARP, the gateway's IP unseen
#   Fixtures/captures/wild-router.pcap   tcpdump -i any on the router (LINUX_SLL2, two interfaces)
#   Fixtures/captures/wild-server-s96.pcap  the server's traffic with -s 96
#   Fixtures/hosts/wild-{client,router,server}/   tracer snapshot in each, while the services run
# Needs root, iproute2, nftables, tcpdump, curl, python3. Only the namespaces it creates are
# touched; they are deleted on exit, also on failure.
# With `nat` as the second argument (capture-nat.sh), the router also masquerades what it forwards
# out of eth1 and only drops tcp/23; the files are named nat-* and no stale copies are derived.
# usage: Fixtures/scripts/capture-wild.sh path/to/tracer [nat]
set -euo pipefail
command -v ping >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iputils-ping >/dev/null
tracer=$(realpath "${1:?usage: $0 path/to/tracer [nat]}")
mode=${2:-wild}
top=$(cd "$(dirname "$0")/../.." && pwd)
C=tracer-$mode-c R=tracer-$mode-r S=tracer-$mode-s
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for n in $C $R $S; do ip netns del $n 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
cleanup
work=$(mktemp -d)
for n in $C $R $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add eth0 netns $C type veth peer name eth0 netns $R
ip link add eth1 netns $R type veth peer name eth0 netns $S
ip -n $C link set eth0 address 02:00:00:0c:00:02 up
ip -n $R link set eth0 address 02:00:00:0c:00:01 up
ip -n $R link set eth1 address 02:00:00:05:00:01 up
ip -n $S link set eth0 address 02:00:00:05:00:02 up
ip -n $C addr add 10.20.1.2/24 dev eth0
ip -n $R addr add 10.20.1.1/24 dev eth0
ip -n $R addr add 10.20.2.1/24 dev eth1
ip -n $S addr add 10.20.2.2/24 dev eth0
ip -n $C route add default via 10.20.1.1
ip -n $S route add default via 10.20.2.1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
if [ "$mode" = nat ]; then
ip netns exec $R nft -f - <<'NFT'
table inet filter {
    chain forward {
        type filter hook forward priority filter; policy accept;
        tcp dport 23 counter drop
    }
}
table ip nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "eth1" masquerade
    }
}
NFT
else
ip netns exec $R nft -f - <<'NFT'
table inet filter {
    chain forward {
        type filter hook forward priority filter; policy accept;
        tcp dport 23 counter drop
        tcp dport 25 counter reject with tcp reset
        udp dport 69 counter reject
    }
}
NFT
fi
# Let IPv6 DAD and router solicitations finish before anything is captured (tcpdump filters
# IPv6 out below anyway: this wave's model is IPv4 and ARP).
sleep 2

# The server's services: Python's http.server on 8080, a UDP echo service on 7777.
mkdir -p "$work/www"
printf 'hello from the server\n' > "$work/www/index.html"
(cd "$work/www" && exec ip netns exec $S python3 -m http.server 8080 --bind 10.20.2.2) >/dev/null 2>&1 &
pids+=($!)
ip netns exec $S python3 -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 7777))
while True:
    data, peer = u.recvfrom(2048); u.sendto(data.upper(), peer)' &
pids+=($!)
sleep 1

tcpdump_start() {  # netns, pcap, tcpdump arguments...
    local ns=$1 out=$2; shift 2
    ip netns exec "$ns" tcpdump -q -n -U "$@" -w "$out" 'not ip6' 2>/dev/null &
    pids+=($!)
}
tcpdump_start $C "$top/Fixtures/captures/$mode-client.pcap" -i eth0
tcpdump_start $R "$top/Fixtures/captures/$mode-router.pcap" -i any -y LINUX_SLL2
sleep 1
# The server's neighbours are resolved before its captures start (a capture taken on a busy
# server rarely holds the ARP for its gateway).
ip netns exec $C ping -q -c 1 -W 1 10.20.2.2 >/dev/null
sleep 0.3
tcpdump_start $S "$top/Fixtures/captures/$mode-server.pcap" -i eth0
tcpdump_start $S "$top/Fixtures/captures/$mode-server-s96.pcap" -i eth0 -s 96
sleep 1

# The client's traffic, each exchange a moment apart.
ip netns exec $C ping -q -c 2 -i 0.2 10.20.2.2 >/dev/null
sleep 0.3
ip netns exec $C python3 -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
u.sendto(b"what time is it", ("10.20.2.2", 7777)); print(u.recvfrom(100)[0])' >/dev/null
sleep 0.3
ip netns exec $C curl -s -o /dev/null http://10.20.2.2:8080/index.html
sleep 0.3
ip netns exec $C python3 - <<'PY'
import socket, time
def tcp(port, timeout):
    try:
        socket.create_connection(("10.20.2.2", port), timeout=timeout).close()
    except OSError:
        pass
tcp(8081, 1)                  # closed port on the server: RST from the server
time.sleep(0.3)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"anyone?", ("10.20.2.2", 9999))   # closed port: ICMP port unreachable from the server
time.sleep(0.3)
p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
p.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
p.sendto(b"probe", ("10.20.2.2", 33434))    # traceroute-style: time exceeded from the router
time.sleep(0.3)
tcp(25, 1)                    # the router's forward filter resets it
time.sleep(0.3)
tcp(23, 1.5)                  # the router's forward filter drops it: the SYN is retransmitted
time.sleep(0.3)
u.sendto(b"tftp?", ("10.20.2.2", 69))       # rejected by the router: port unreachable from it
PY
sleep 1
# The captures end here (the snapshots' own loopback chatter stays out of the router's -i any).
for p in "${pids[@]:2}"; do kill "$p" 2>/dev/null || true; done

# Snapshots while the services still run (what the capture was taken on).
for pair in "$C client" "$R router" "$S server"; do
    set -- $pair
    rm -rf "$top/Fixtures/hosts/$mode-$2"
    ip netns exec $1 "$tracer" snapshot -o "$top/Fixtures/hosts/$mode-$2" >/dev/null
done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
echo "wrote Fixtures/captures/$mode-{client,router,server,server-s96}.pcap and Fixtures/hosts/$mode-{client,router,server}"
[ "$mode" = nat ] && exit 0

# Two stale copies of the server's snapshot, as if taken on another day: without its default
# route, and without its HTTP listener (the witness check must catch both).
derive() {  # name, python filter over the directory
    rm -rf "$top/Fixtures/hosts/$1"
    cp -r "$top/Fixtures/hosts/wild-server" "$top/Fixtures/hosts/$1"
    python3 -c "$2" "$top/Fixtures/hosts/$1"
}
derive wild-server-stale-route '
import json, sys
p = sys.argv[1] + "/ip-route.json"
routes = [r for r in json.load(open(p)) if r.get("dst") != "default"]
json.dump(routes, open(p, "w"))'
derive wild-server-stale-listener '
import sys
p = sys.argv[1] + "/ss.txt"
lines = [l for l in open(p) if ":8080" not in l]
open(p, "w").writelines(lines)'
echo "wrote Fixtures/hosts/wild-server-stale-{route,listener}"
