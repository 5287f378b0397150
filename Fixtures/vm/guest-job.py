#!/usr/bin/env python3
"""guest-job.py HOST_DIR FRAMES [--driver e1000|virtio_net] [--graph | --gdb] [--send SPEC]: the guest job (a busybox sh script, for run-job.sh)
that makes the 6.1 guest the snapshot's host and then takes FRAMES frames one at a time.

The host: each Ethernet interface of ip-addr.json is one emulated NIC, in order (run-job.sh gives
NIC i the interface's MAC), renamed to the snapshot's name, with its MTU and IPv4 addresses,
promiscuous (as tcpdump makes it on the host a capture comes from); the
routes and rules that are not the kernel's own (ip-route.json, ip-rule.json, ip6-route.json,
ip6-rule.json), the neighbours (ip-neigh.json, installed permanent, as `tracer verify` does; with
--stale-neighbours a STALE one as STALE), the
sysctls (sysctl.txt: net.ipv4 and net.ipv6 but their neighbour settings, and net.core), the
nftables ruleset (nft.txt), the listening and unconnected sockets of ss.txt (with `ss -m`'s
sk_rcvbuf, and never read where ss shows data waiting: the model's reader policy) and the multicast
memberships of ip-maddr.json (Fixtures/vm/sockets.c). IPv6 is on where the snapshot has IPv6
addresses, with its addresses only (no DAD, no router solicitation), else off; the IGMP and MLD
reports of the guest's joins are over before the first frame (1 ms report intervals):
the guest says nothing of its own on the wire, so only the frames' own answers leave.

Each frame: the counters (/proc/net/snmp, netstat) are printed, the trace emptied, then
"tracer-vm: want N" asks run-job.sh for frame N (1.5 s after it asked for the previous one, at
the earliest); half a second later (before the first timer
the frame arms can fire: the SYN-ACK's is 1 s) the guest prints the trace
(skb:kfree_skb with a stack per packet; with --graph also the function_graph tracer's record of
everything e1000_clean and the packet's softirq entered) and the counters again. compare.py
reads that console back.

With --gdb (gdb-bt.sh) nothing is traced (gdb's breakpoints are the record): before "ready" the
guest prints "tracer-vm: module " and the NIC driver module's section addresses as add-symbol-file
arguments, and after each "want" waits (up to 2 minutes) for the frame to arrive, since the host
sends it only once gdb is attached (the module: the NIC driver's, e1000 or virtio_net).
--send SPEC adds sockets.c's sender (send:SRC:SPORT:DST:DPORT:LEN[:HEX], or sendraw:PROTO:...,
or connect:SRC:SPORT:DST:DPORT), which sends (connects) again for each datagram a listener reads
(--send again: a program's next send; each is sent at the start, then one a cue, in order),
and a listener on UDP port 9 for the harness's cue; with --graph the function_graph tracer
records its sendto (connect) too (__x64_sys_sendto, __x64_sys_connect: tx-check.sh).
--back-to-back: each frame is asked for as soon as the last one's window (0.3 s, not 0.5) is
over, the records kept in the guest's memory and printed once all frames are in (a connect's
peer answers well within its SYN's one-second retransmission timer)."""
import json, os, re, shlex, sys

host, frames = sys.argv[1], int(sys.argv[2])
graph = "--graph" in sys.argv[3:]
gdb = "--gdb" in sys.argv[3:]
# --send SPEC, as many as the program sends (sockets.c: in order, one a cue)
sends = [sys.argv[k + 1] for k in range(3, len(sys.argv) - 1) if sys.argv[k] == "--send"]
send = sends[0] if sends else None
back_to_back = "--back-to-back" in sys.argv[3:]
# --stale-neighbours: the snapshot's STALE neighbours are installed STALE, not permanent
# (tx-check.sh: a send whose next hop is one, made first on its cue).
stale_neighbours = "--stale-neighbours" in sys.argv[3:]
# The guest's NICs (run-job.sh's DRIVER): the module gdb loads symbols for, and the driver's
# NAPI poll, where the function_graph tracer's record of a frame starts.
driver = sys.argv[sys.argv.index("--driver") + 1] if "--driver" in sys.argv[3:] else "e1000"
poll = {"e1000": "e1000_clean", "virtio_net": "virtnet_poll"}[driver]


def load(name, default):
    path = os.path.join(host, name)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return default
    with open(path) as f:
        return json.load(f)


IP, NFT = "/usr/sbin/ip", "/usr/sbin/nft"
out = ["#!/bin/sh", "# written by Fixtures/vm/guest-job.py from " + host, "T=/sys/kernel/tracing"]
ifaces = [i for i in load("ip-addr.json", []) if i.get("link_type") == "ether"]
if not any(a.get("family") == "inet6" for i in ifaces for a in i.get("addr_info", [])):
    out += ["echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6", "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"]
for n, i in enumerate(ifaces):
    name = i["ifname"]
    v6 = [a for a in i.get("addr_info", []) if a.get("family") == "inet6"]
    out += [f"{IP} link set eth{n} name {name}" if name != f"eth{n}" else f": eth{n}"]
    if v6:
        # IPv6 as the snapshot has it, and nothing of the guest's own on the wire: no address of
        # its making (addr_gen_mode 1: the snapshot's link-local is added), no DAD, no router
        # solicitation; the MLD reports for its solicited-node groups repeat at once (1 ms), so
        # they are over before the first frame.
        c = f"/proc/sys/net/ipv6/conf/{name}"
        out += [f"echo 0 > {c}/disable_ipv6", f"echo 1 > {c}/addr_gen_mode", f"echo 0 > {c}/accept_dad",
                f"echo 0 > {c}/router_solicitations", f"echo 1 > {c}/mldv1_unsolicited_report_interval",
                f"echo 1 > {c}/mldv2_unsolicited_report_interval"]
    else:
        out.append(f"echo 1 > /proc/sys/net/ipv6/conf/{name}/disable_ipv6")
    out.append(f"{IP} link set {name} mtu {i.get('mtu', 1500)}")
    if "UP" in i.get("flags", []):
        # Promiscuous, as a host is while tcpdump captures on it: a frame for another MAC gets
        # past the NIC's filter to the kernel (PACKET_OTHERHOST), as in the capture.
        out.append(f"{IP} link set {name} promisc on up")
    for a in i.get("addr_info", []):
        if a.get("family") == "inet":
            out.append(f"{IP} addr add {a['local']}/{a['prefixlen']} dev {name}")
        elif a.get("family") == "inet6":
            out.append(f"{IP} -6 addr add {a['local']}/{a['prefixlen']} dev {name} nodad")

# Receive packet steering (rps.txt: `grep -H . /sys/class/net/*/queues/rx-*/rps_cpus`): a
# queue with any CPU in its mask steers to the guest's one CPU (mask 1; the guest has no other).
rps = []
if os.path.exists(os.path.join(host, "rps.txt")):
    for line in open(os.path.join(host, "rps.txt")):
        path, _, mask = line.strip().partition(":")
        parts = path.split("/")
        if len(parts) >= 8 and parts[6].startswith("rx-") and parts[4] in [i["ifname"] for i in ifaces] \
                and mask.replace(",", "").strip("0"):
            rps.append(f"echo 1 > /sys/class/net/{parts[4]}/queues/{parts[6]}/rps_cpus")
out += rps

sysctls = []
if os.path.exists(os.path.join(host, "sysctl.txt")):
    for line in open(os.path.join(host, "sysctl.txt")):
        key, _, value = line.partition(" = ")
        key, value = key.strip(), value.strip()
        # The guest is ours: its TCP and core settings too (tcp_rmem sets the SYN-ACK's window
        # scale; rmem_default a UDP socket's buffer), which `tracer verify` leaves to this host.
        # IPv6's too, but what gives the guest a voice of its own (set above) and the neighbour
        # settings.
        own = key.rsplit(".", 1)[-1] in ("disable_ipv6", "addr_gen_mode", "accept_dad", "router_solicitations",
                                         "mldv1_unsolicited_report_interval", "mldv2_unsolicited_report_interval", "stable_secret")
        if ((key.startswith("net.ipv4.") and not key.startswith("net.ipv4.neigh")) or key.startswith("net.core.")
                or (key.startswith("net.ipv6.") and not key.startswith("net.ipv6.neigh") and not own)):
            sysctls.append(f"echo {shlex.quote(value)} > /proc/sys/{key.replace('.', '/')} 2>/dev/null")
out += sysctls

def v6route(r, default):
    """An IPv6 route by its addresses (a snapshot's ip-route.json can hold both families), else the file's."""
    addrs = [r.get(k, "") for k in ("dst", "gateway", "prefsrc") if r.get(k, "") not in ("", "default")]
    return any(":" in a for a in addrs) if addrs else default


routes = []
for r in [(r, v6route(r, False)) for r in load("ip-route.json", [])] + [(r, v6route(r, True)) for r in load("ip6-route.json", [])]:
    if r not in routes: routes.append(r)
for r, v6 in routes:
    if r.get("protocol") == "kernel" or r.get("table") == "local":
        continue
    cmd = [IP, "-6" if v6 else "-4", "route", "add"]
    if r.get("type") and r["type"] != "unicast":
        cmd.append(r["type"])
    cmd.append(r["dst"])
    for key, word in (("gateway", "via"), ("dev", "dev"), ("table", "table"), ("metric", "metric"), ("prefsrc", "src")):
        if key in r:
            cmd += [word, str(r[key])]
    if "protocol" in r and r["protocol"] != "boot":
        cmd += ["proto", r["protocol"]]
    # the route's MTU metric (ip -j: "metrics": [{"mtu": 1280}], a locked one ["lock", 1280])
    for m in r.get("metrics", []):
        if "mtu" in m:
            cmd += ["mtu"] + (["lock", str(m["mtu"][-1])] if isinstance(m["mtu"], list) else [str(m["mtu"])])
    out.append(" ".join(cmd))
defaults = {(0, "local"), (32766, "main"), (32767, "default")}
for r in load("ip-rule.json", []) + [dict(r, v6=True) for r in load("ip6-rule.json", [])]:
    if (r.get("priority"), r.get("table")) in defaults and r.get("src") == "all" and "fwmark" not in r:
        continue
    cmd = [IP, "-6" if r.get("v6") else "-4", "rule", "add", "pref", str(r["priority"])]
    if r.get("src", "all") != "all":
        cmd += ["from", f"{r['src']}/{r.get('srclen', 32)}"]
    if "dst" in r:
        cmd += ["to", f"{r['dst']}/{r.get('dstlen', 32)}"]
    if "fwmark" in r:
        cmd += ["fwmark", r["fwmark"] + (f"/{r['fwmask']}" if "fwmask" in r else "")]
    if "iif" in r:
        cmd += ["iif", r["iif"]]
    if "oif" in r:
        cmd += ["oif", r["oif"]]
    action = r.get("action")
    cmd += [action] if action in ("blackhole", "unreachable", "prohibit") else ["table", str(r.get("table", "main"))]
    out.append(" ".join(cmd))
def v6dev(dev):
    return any(i["ifname"] == dev and any(a.get("family") == "inet6" for a in i.get("addr_info", [])) for i in ifaces)


for n in load("ip-neigh.json", []):
    v6 = ":" in n["dst"]
    if "lladdr" in n and not set(n.get("state", [])) & {"FAILED", "INCOMPLETE"} and (not v6 or v6dev(n["dev"])):
        nud = "stale" if stale_neighbours and "STALE" in n.get("state", []) else "permanent"
        out.append(f"{IP} {'-6' if v6 else '-4'} neigh replace {n['dst']} lladdr {n['lladdr']} dev {n['dev']} nud {nud}")
nft = os.path.join(host, "nft.txt")
if os.path.exists(nft) and open(nft).read().strip():
    out += [f"{NFT} -f - <<'NFT'", open(nft).read().rstrip("\n"), "NFT"]

listen = []
if os.path.exists(os.path.join(host, "ss.txt")):
    # A UDP socket with data waiting (Recv-Q) is one its application does not read (the model's
    # reader policy: ,noread); `ss -m`'s skmem line under it gives its sk_rcvbuf (rb: ,rcvbuf=).
    last = None
    for line in open(os.path.join(host, "ss.txt")):
        f = line.split()
        if f and f[0].startswith("skmem:(") and last is not None:
            rb = re.search(r"[(,]rb(\d+)", f[0])
            if rb:
                listen[last] += f",rcvbuf={rb.group(1)}"
            last = None
            continue
        last = None
        if len(f) >= 5 and ((f[0] == "udp" and f[1] == "UNCONN") or (f[0] == "tcp" and f[1] == "LISTEN")):
            addr, _, port = f[4].rpartition(":")
            # `*` is a dual-stack IPv6 socket on any address, [ADDR] an IPv6 one (sockets.c).
            if addr not in ("127.0.0.1", "[::1]") and (":" not in addr or addr.startswith("[")):
                listen.append(f"{f[0]}:{addr}:{port}" + (",noread" if f[0] == "udp" and f[2].isdigit() and int(f[2]) > 0 else ""))
                last = len(listen) - 1 if f[0] == "udp" else None
        elif len(f) >= 6 and f[0] == "udp" and f[1] == "ESTAB" and not f[4].startswith(("127.", "[::1]", "[::ffff:")) \
                and (f[4].count(":") == 1 or f[4].startswith("[")):
            listen.append(f"udp:{f[4]}>{f[5]}" + (",noread" if f[2].isdigit() and int(f[2]) > 0 else ""))   # a connect(2)ed socket: its peer after >
            last = len(listen) - 1
# The snapshot's multicast memberships (ip-maddr.json), but those the kernel holds by itself:
# all-hosts, all-nodes, all-routers, solicited-node groups.
for i in load("ip-maddr.json", []):
    if i.get("ifname") not in [x["ifname"] for x in ifaces]:
        continue
    for m in i.get("maddr", []):
        g = m.get("address", "")
        own = g in ("224.0.0.1", "ff02::1", "ff01::1", "ff02::2", "ff01::2", "ff05::2") or g.startswith("ff02::1:ff")
        if m.get("family") in ("inet", "inet6") and not own:
            listen.append(f"join:{g}@{i['ifname']}")
if send:
    # the cue: a datagram to port 9 (discard); SPEC as sockets.c's send: (the prefix may be left
    # out) or sendraw:
    listen += ["udp:*:9"] + [s if s.startswith(("send:", "sendraw:", "connect:")) or s == "nopresend" else "send:" + s for s in sends]
if any(l.startswith("join:") for l in listen):
    # Joining sends unsolicited IGMP/MLD reports, repeated a report interval later: made 1 ms,
    # they are over before the first frame.
    for i in ifaces:
        for k in ("ipv4/conf/{}/igmpv2_unsolicited_report_interval", "ipv4/conf/{}/igmpv3_unsolicited_report_interval"):
            out.append(f"echo 1 > /proc/sys/net/{k.format(i['ifname'])}")
if listen:
    out.append("/usr/bin/sockets " + " ".join(shlex.quote(l) for l in listen) + " &")

# The e1000 reports its link up from its watchdog (every 2 s), and IPv6 sends its MLD reports
# only then: wait for every interface the snapshot has up to be so (at most 5 s), so that those
# reports are over before the first frame, not during it.
up = [i["ifname"] for i in ifaces if "UP" in i.get("flags", []) and i["ifname"] != "lo"]
if up:
    out.append("for n in " + " ".join(shlex.quote(n) for n in up) + "; do w=0; "
               "while [ \"$(cat /sys/class/net/$n/operstate)\" != up ] && [ $w -lt 50 ]; do sleep 0.1; w=$((w + 1)); done; done")
out.append("sleep 1")
if gdb:
    out += [f"m=/sys/module/{driver}/sections; a=\"-s .text $(cat $m/.text)\"",
            "for s in .text.unlikely .rodata .data .bss .exit.text; do [ -e $m/$s ] && a=\"$a -s $s $(cat $m/$s)\"; done",
            "echo \"tracer-vm: module $a\""]
else:
    out += [
        "echo 1 > $T/events/skb/kfree_skb/enable",
        "echo 'stacktrace if protocol != 0' > $T/events/skb/kfree_skb/trigger",
    ]
if graph:
    out += ["echo 16384 > $T/buffer_size_kb", f"echo {poll} > $T/set_graph_function"] + (
        # a steered frame is taken up again from the backlog, outside e1000_clean
        ["echo process_backlog >> $T/set_graph_function"] if rps else []) + (
        # the sender's sendto (--send): the send's own path
        [f"echo {'__x64_sys_connect' if send.startswith('connect:') else '__x64_sys_sendto'} >> $T/set_graph_function"] if send else []) + [
            "echo function_graph > $T/current_tracer"]
out += [
    "echo \"tracer-vm: ready\"",
    "snmp() { cat /proc/net/snmp /proc/net/netstat; echo '-- snmp6'; cat /proc/net/snmp6 2>/dev/null; }",
] + ([   # the NICs' receive counts, read by the shell itself: no process forked while it waits
    "rx() { RX=; for f in /sys/class/net/*/statistics/rx_packets; do read v < $f; RX=\"$RX $v\"; done; }"] if gdb else []) + [
    # Each frame's slot starts 1.5 s after the previous one's (uptime in centiseconds, read by
    # the shell itself), however long the trace took to print: the capture meets the guest at
    # one pace whatever the NIC, and a TCP SYN-ACK's retransmissions (1 s, 3 s, 7 s after it)
    # fall between frames' half-second windows, not in one.
    "cs() { read u _ < /proc/uptime; CS=${u%.*}${u#*.}; CS=${CS#0}; }",
]
if back_to_back:
    # Each frame asked for as soon as the last one's window (0.3 s) is saved, the records printed
    # at the end: the console's serial line takes a second or more for a function_graph record,
    # and a connect(2)'s SYN is sent again a second after it went (TCP_TIMEOUT_INIT).
    out += [
        f"i=1; while [ $i -le {frames} ]; do",
        "  snmp > /tmp/before.$i",
        "  echo > $T/trace; echo 1 > $T/tracing_on",
        "  echo \"tracer-vm: want $i\"",
        "  sleep 0.3",
        "  snmp > /tmp/after.$i; echo 0 > $T/tracing_on",
        "  grep -v '^#' $T/trace > /tmp/trace.$i",
        "  i=$((i + 1))",
        "done",
        f"i=1; while [ $i -le {frames} ]; do",
        "  echo \"== snmp before $i\"; cat /tmp/before.$i; echo \"== trace $i\"; cat /tmp/trace.$i; echo \"== snmp after $i\"; cat /tmp/after.$i",
        "  i=$((i + 1))",
        "done",
    ]
else:
    out += [
    f"i=1; slot=0; while [ $i -le {frames} ]; do",
    "  cs; while [ $CS -lt $slot ]; do sleep 0.05; cs; done",
    "  echo \"== snmp before $i\"; snmp" + ("; rx; before=$RX" if gdb else ""),
    "  echo > $T/trace; echo 1 > $T/tracing_on",
    "  cs; slot=$((CS + 150)); echo \"tracer-vm: want $i\"",
] + ([   # gdb attaches after "ready" and the host sends only then: wait for the frame to arrive
    # (once a second: a fork or a timer's wake-up as the frame arrives sets need_resched, and
    # the softirq it raised for the backlog (RPS) is left to ksoftirqd instead of run again)
    "  w=0; rx; while [ \"$RX\" = \"$before\" ] && [ $w -lt 120 ]; do sleep 1; w=$((w + 1)); rx; done",
] if gdb else []) + [
    "  sleep 0.5",
    "  snmp > /tmp/after; echo 0 > $T/tracing_on   # the window ends here, not after the (slow) dump",
    "  echo \"== trace $i\"; grep -v '^#' $T/trace",
    "  echo \"== snmp after $i\"; cat /tmp/after",
    "  i=$((i + 1))",
    "done",
    ]
out.append("echo 0 > $T/tracing_on")
print("\n".join(out))
