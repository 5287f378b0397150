#!/bin/sh
# A guest job (run-job.sh): netns-h's eth0 on the e1000 — its address, its peer's neighbour
# entry, a reader on UDP 5353 as its ss shows — with skb:kfree_skb on (a stack for each packet's)
# and nstat zeroed; "ready", the frames come in, then the trace and the counters. IPv6 off, so
# only the frames' own answers leave.
/usr/sbin/ip link set eth0 address 02:00:00:00:00:01
echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
/usr/sbin/ip link set eth0 up
/usr/sbin/ip addr add 10.1.0.2/24 dev eth0
/usr/sbin/ip neigh add 10.1.0.1 lladdr 02:00:00:00:00:fe dev eth0
T=/sys/kernel/tracing
echo 1 > $T/events/skb/kfree_skb/enable
echo 'stacktrace if protocol != 0' > $T/events/skb/kfree_skb/trigger 2>/dev/null
/usr/bin/sockets udp:5353 &
/usr/bin/nstat -n
echo "tracer-vm: ready"
sleep 4
echo "== trace"; grep -v "^#" $T/trace
echo "== nstat"; /usr/bin/nstat 2>/dev/null
