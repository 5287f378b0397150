#!/usr/bin/env bash
# Makes the snapshots that differ from Fixtures/hosts/netns-h in one sysctl: each is netns-h with
# the named lines of its sysctl.txt (real `sysctl -a` output) given another value, exactly as
# `sysctl -w` would then print them. The oracle applies a snapshot's sysctls to its namespace,
# so the live kernel runs with the same setting.
#   netns-h-l2drop     net.ipv4.conf.eth0.drop_unicast_in_l2_multicast = 1 (RFC 1122 3.3.6)
#   netns-h-noredirect net.ipv4.conf.{all,eth0}.send_redirects = 0 (no ICMP redirects sent)
#   netns-h-backlog    net.core.netdev_max_backlog = 8 (a backlog a burst overflows)
#   netns-h-no-tcp-early-demux net.ipv4.tcp_early_demux = 0 (an established connection's
#                      segments take the input route, not the socket's cached one)
#   netns-h-mcast      a socket on UDP 5000 that joined 239.1.1.1 on eth0 (see mcast below)
#   netns-h-rcvbuf     a UDP socket on 5000 with SO_RCVBUF 4000 that does not read (see rcvbuf below)
#   netns-h-rcvbuf-read the same socket, read by its application
#   netns-h-rps        receive packet steering on eth0 (see rps below)
#   netns-h-udp-connected a UDP socket 10.1.0.2:5000 connect(2)ed to 10.1.0.1:6000 (see
#                      udp_connected below; it also writes Fixtures/rx/udp-connected.pcap)
#   netns-h6-nft-output netns-h6 with Fixtures/rulesets/nft-output.nft
#   netns-h6-udp-connected the same over IPv6 (Fixtures/rx/ipv6-udp-connected.pcap)
# With arguments, only the snapshots they name are made again.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
only=("$@")
want() {
    [ ${#only[@]} -eq 0 ] && return 0
    local h; for h in "${only[@]}"; do [ "$h" = "$1" ] && return 0; done; return 1
}
derive() {
    local name=$1; shift
    local out="$top/Fixtures/hosts/$name"
    rm -rf "$out"; cp -r "$top/Fixtures/hosts/netns-h" "$out"
    for kv in "$@"; do
        key=${kv%%=*} value=${kv#*=}
        if [[ $key == net.core.* ]] && ! grep -q "^$key = " "$out/sysctl.txt"; then
            # net.core's softirq settings are the initial namespace's alone: a host's own
            # `sysctl -a` lists them, a namespace's does not. Added where sysctl -a sorts them.
            { cat "$out/sysctl.txt"; echo "$key = $value"; } | LC_ALL=C sort -o "$out/sysctl.txt"
            continue
        fi
        grep -q "^$key = " "$out/sysctl.txt" || { echo "derive-hosts: $key not in netns-h's sysctl.txt" >&2; exit 1; }
        sed -i "s|^$key = .*|$key = $value|" "$out/sysctl.txt"
    done
    echo "wrote $out ($*)"
}
want netns-h-l2drop && derive netns-h-l2drop net.ipv4.conf.eth0.drop_unicast_in_l2_multicast=1
want netns-h-noredirect && derive netns-h-noredirect net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
want netns-h-backlog && derive netns-h-backlog net.core.netdev_max_backlog=8
want netns-h-no-tcp-early-demux && derive netns-h-no-tcp-early-demux net.ipv4.tcp_early_demux=0

# netns-h-mcast: netns-h with a UDP socket on 0.0.0.0:5000 that joined 239.1.1.1 on eth0. Its
# ip-maddr.json and the socket's ss line are real output, from a scratch namespace with the same
# devices in the same order (lo, eth0, eth1; their peers in a second namespace), where a python
# socket holds the port and the join (IP_ADD_MEMBERSHIP) while `ip -j maddr show` and `ss` run.
# scratch N P: namespace N with netns-h's devices in its order (lo, eth0, eth1, addresses, the
# peer's permanent neighbour entry), their veth peers p0 (10.1.0.1) and p1 in namespace P.
scratch() {
    local N=$1 P=$2
    ip netns del $N 2>/dev/null || true; ip netns del $P 2>/dev/null || true
    ip netns add $N; ip netns add $P
    ip -n $N link set lo up
    ip link add eth0 netns $N type veth peer name p0 netns $P
    ip link add eth1 netns $N type veth peer name p1 netns $P
    ip -n $N link set eth0 address 02:00:00:00:00:01 up
    ip -n $N link set eth1 address 02:00:00:00:01:01 up
    ip -n $N addr add 10.1.0.2/24 dev eth0
    ip -n $N addr add 10.2.0.2/24 dev eth1
    ip -n $P link set p0 address 02:00:00:00:00:fe up; ip -n $P link set p1 up; ip -n $P link set lo up
    ip -n $P addr add 10.1.0.1/24 dev p0
    ip -n $N neigh add 10.1.0.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
}

mcast() {
    local out="$top/Fixtures/hosts/netns-h-mcast" N=tracer-fx-mc P=tracer-fx-mcp
    trap "ip netns del $N 2>/dev/null; ip netns del $P 2>/dev/null" RETURN
    # (the capture's tcpdump and the application are waited for below, before the trap runs)
    scratch $N $P
    ip -n $P route add 224.0.0.0/4 dev p0
    rm -rf "$out"; cp -r "$top/Fixtures/hosts/netns-h" "$out"
    # Fixtures/captures/netns-mcast.pcap: eth0 while the socket joins (its IGMP reports) and the
    # peer sends to the joined group (port 5000, read by the socket; 5001, no socket) and to a
    # group nobody joined.
    local pcap="$top/Fixtures/captures/netns-mcast.pcap"
    ip netns exec $N tcpdump -q -n -i eth0 -w "$pcap" 'not ip6' 2>/dev/null &
    local dump=$!
    sleep 1
    ip netns exec $N python3 -c '
import socket, struct, subprocess, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5000))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4si", socket.inet_aton("239.1.1.1"), socket.inet_aton("0.0.0.0"), socket.if_nametoindex("eth0")))
open(sys.argv[1] + "/ip-maddr.json", "w").write(subprocess.run(["ip", "-j", "maddr", "show"], capture_output=True, text=True, check=True).stdout)
ss = subprocess.run(["ss", "-H", "-tuna"], capture_output=True, text=True, check=True).stdout
open(sys.argv[1] + "/ss.txt", "a").write("".join(l + "\n" for l in ss.splitlines() if ":5000 " in l))
open(sys.argv[1] + "/.joined", "w").close()
s.settimeout(3)
print("read", len(s.recv(100)), "bytes from the group", file=sys.stderr)
' "$out" &
    local app=$!
    while [ ! -e "$out/.joined" ]; do sleep 0.1; done; rm -f "$out/.joined"
    sleep 0.5
    ip netns exec $P python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for group, port in (("239.1.1.1", 5000), ("239.1.1.1", 5001), ("239.2.2.2", 5000)):
    s.sendto(b"hello group", (group, port)); time.sleep(0.2)
'
    wait $app || true
    sleep 0.5; kill $dump; wait $dump 2>/dev/null || true
    echo "wrote $out (239.1.1.1 joined on eth0, udp 0.0.0.0:5000)"
}
want netns-h-mcast && mcast

# netns-h-rcvbuf: netns-h with a UDP socket on 0.0.0.0:5000 whose application set SO_RCVBUF 4000
# (sk_rcvbuf 8000) and does not read: one datagram from the peer waits in its queue when
# `ss -H -tuanm` runs, so the snapshot shows the Recv-Q and the skmem (real output, from a scratch
# namespace like mcast's). netns-h-rcvbuf-read: the same socket, its application reading (ss runs
# before anything arrives: no Recv-Q).
rcvbuf() {
    local name=$1 reads=$2
    local out="$top/Fixtures/hosts/$name" N=tracer-fx-rb P=tracer-fx-rbp
    trap "ip netns del $N 2>/dev/null; ip netns del $P 2>/dev/null" RETURN
    scratch $N $P
    rm -rf "$out"; cp -r "$top/Fixtures/hosts/netns-h" "$out"
    ip netns exec $N python3 -c '
import socket, subprocess, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4000)
s.bind(("0.0.0.0", 5000))
open(sys.argv[1] + "/.bound", "w").close()
for _ in range(50):
    ss = subprocess.run(["ss", "-H", "-tuanm", "sport", "=", ":5000"], capture_output=True, text=True, check=True).stdout
    if sys.argv[2] == "reads" or ss.split()[2] != "0": break
    time.sleep(0.1)
open(sys.argv[1] + "/ss.txt", "a").write(ss)
' "$out" "$reads" &
    local app=$!
    while [ ! -e "$out/.bound" ]; do sleep 0.1; done; rm -f "$out/.bound"
    if [ "$reads" = waits ]; then
        ip netns exec $P python3 -c '
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"hello", ("10.1.0.2", 5000))
'
    fi
    wait $app
    echo "wrote $out (udp 0.0.0.0:5000, SO_RCVBUF 4000, $([ "$reads" = waits ] && echo "not reading" || echo reading))"
}
want netns-h-rcvbuf && rcvbuf netns-h-rcvbuf waits
want netns-h-rcvbuf-read && rcvbuf netns-h-rcvbuf-read reads

# netns-h-rps: netns-h with receive packet steering on eth0 (its one receive queue's rps_cpus
# mask 1: CPU 0). Its rps.txt is the real `grep -H . /sys/class/net/*/queues/rx-*/rps_cpus`, run
# in a scratch namespace like mcast's after the mask was written.
rps() {
    local out="$top/Fixtures/hosts/netns-h-rps" N=tracer-fx-rps P=tracer-fx-rpsp
    trap "ip netns del $N 2>/dev/null; ip netns del $P 2>/dev/null" RETURN
    scratch $N $P
    rm -rf "$out"; cp -r "$top/Fixtures/hosts/netns-h" "$out"
    ip netns exec $N sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus; grep -H . /sys/class/net/*/queues/rx-*/rps_cpus' > "$out/rps.txt"
    echo "wrote $out (rps_cpus 1 on eth0)"
}
want netns-h-rps && rps

# netns-h6-nft-output: netns-h6 with netns-h-nft-output's ruleset (its nft.json and nft.txt, as
# nft-hosts.sh had the real nft write them): an inet output chain, so IPv6 sends to UDP 9999 are
# dropped at LOCAL_OUT too.
if want netns-h6-nft-output; then
    rm -rf "$top/Fixtures/hosts/netns-h6-nft-output"
    cp -r "$top/Fixtures/hosts/netns-h6" "$top/Fixtures/hosts/netns-h6-nft-output"
    cp "$top/Fixtures/hosts/netns-h-nft-output/nft.json" "$top/Fixtures/hosts/netns-h-nft-output/nft.txt" "$top/Fixtures/hosts/netns-h6-nft-output/"
    echo "wrote $top/Fixtures/hosts/netns-h6-nft-output (netns-h6 with the nft-output ruleset)"
fi

# netns-h-udp-connected: netns-h with a UDP socket bound to 10.1.0.2:5000 and connect(2)ed to
# 10.1.0.1:6000 (its ss line real output, from a scratch namespace like mcast's), its application
# reading. Fixtures/rx/udp-connected.pcap: eth0's incoming frames while the peer sends three
# datagrams from 6000 (the connected socket's: udp_v4_early_demux ties each to it; from the
# second on its cached route spares the lookup), one from 6001 (no socket takes it: the
# connected one's peer is 6000) and one from 6000 again. netns-h6-udp-connected and
# Fixtures/rx/ipv6-udp-connected.pcap: the same over IPv6 on netns-h6 ([2001:db8:1::2]:5000 and
# [2001:db8:1::1]:6000; udp_v6_early_demux's turn).
udp_connected() {
    local v=$1 N=tracer-fx-uc$1 P=tracer-fx-uc$1p
    local out="$top/Fixtures/hosts/netns-h$([ "$v" = 6 ] && echo 6)-udp-connected"
    local pcap="$top/Fixtures/rx/$([ "$v" = 6 ] && echo ipv6-)udp-connected.pcap"
    local me=10.1.0.2 peer=10.1.0.1 filter=ip
    trap "ip netns del $N 2>/dev/null; ip netns del $P 2>/dev/null" RETURN
    scratch $N $P
    if [ "$v" = 6 ]; then
        me=2001:db8:1::2 peer=2001:db8:1::1 filter='ip6 and udp'
        ip -n $N addr add $me/64 dev eth0 nodad
        ip -n $N addr add 2001:db8:2::2/64 dev eth1 nodad
        ip -n $P addr add $peer/64 dev p0 nodad
        ip -n $N neigh add $peer lladdr 02:00:00:00:00:fe dev eth0 nud permanent
    fi
    ip -n $P neigh add $me lladdr 02:00:00:00:00:01 dev p0 nud permanent
    # The peer's checksums in full (a veth leaves them to an offload that never comes: a NIC
    # given the capture would find them wrong).
    ip netns exec $P ethtool -K p0 tx off >/dev/null
    rm -rf "$out"; cp -r "$top/Fixtures/hosts/netns-h$([ "$v" = 6 ] && echo 6)" "$out"
    ip netns exec $N tcpdump -q -n -i eth0 -Q in -w "$pcap" "$filter" 2>/dev/null &
    local dump=$!
    sleep 1
    ip netns exec $N python3 -c '
import socket, subprocess, sys
out, me, peer = sys.argv[1:4]
s = socket.socket(socket.AF_INET6 if ":" in me else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((me, 5000))
s.connect((peer, 6000))
ss = subprocess.run(["ss", "-H", "-tuna"], capture_output=True, text=True, check=True).stdout
open(out + "/ss.txt", "a").write("".join(l + "\n" for l in ss.splitlines() if ":5000 " in l))
open(out + "/.connected", "w").close()
s.settimeout(3)
try:
    while True: print("read", len(s.recv(100)), "bytes", file=sys.stderr)
except socket.timeout:
    pass
' "$out" $me $peer &
    local app=$!
    while [ ! -e "$out/.connected" ]; do sleep 0.1; done; rm -f "$out/.connected"
    sleep 0.5
    ip netns exec $P python3 -c '
import socket, sys, time
me, peer = sys.argv[1:3]
family = socket.AF_INET6 if ":" in me else socket.AF_INET
a, b = socket.socket(family, socket.SOCK_DGRAM), socket.socket(family, socket.SOCK_DGRAM)
a.bind((peer, 6000)); b.bind((peer, 6001))
for s in (a, a, a, b, a):
    s.sendto(b"hello connected", (me, 5000)); time.sleep(0.2)
' $me $peer
    wait $app || true
    sleep 0.5; kill $dump; wait $dump 2>/dev/null || true
    echo "wrote $out (udp $me:5000 connected to $peer:6000) and $pcap"
}
want netns-h-udp-connected && udp_connected 4
want netns-h6-udp-connected && udp_connected 6
