#!/usr/bin/env python3
"""Ask the real kernel what it does with each frame of a capture.

Builds a throwaway topology from a tracer host snapshot (a host netns with one veth per snapshot
interface, peers in a wire netns; addresses, MACs, MTUs, routes, rules, permanent neighbours,
net.ipv4 sysctls, nft ruleset, and listeners for the snapshot's LISTEN/UNCONN sockets), injects the
capture's Ethernet frames one at a time on the wire side of the interface each is addressed to,
and prints one JSON object per frame: the skb:kfree_skb drops (reason, location, stack), the
skb:consume_skb ends, the fib:fib_table_lookup lookups, the SNMP counters that moved (nstat
names), and every frame the host emitted on each wire.

Tracing uses a private tracefs instance, removed afterwards; both namespaces are deleted on exit,
also on failure or interruption. Frames only ever travel inside the namespaces made here.

This is the prototype of `tracer verify` (issue 7); the model is checked against its output.

usage: oracle.py SNAPSHOT_DIR CAPTURE.pcap [--iface NAME]
"""
import ctypes, json, os, signal, socket, struct, subprocess, sys, time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL("libc.so.6", use_errno=True)
TRACEFS = "/sys/kernel/tracing"
PID = os.getpid()
H, W = f"tro-h-{PID}", f"tro-w-{PID}"
INSTANCE = f"{TRACEFS}/instances/tracer-oracle-{PID}"


def sh(*args, check=True, ns=None, quiet=False):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


class Netns:
    """Enter a named network namespace for the duration of a with-block (this thread only)."""
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        os.close(fd)
    def __exit__(self, *a):
        libc.setns(self.home, CLONE_NEWNET)
        os.close(self.home)


def read_pcap(path):
    """The Ethernet frames of a pcap file, each with its timestamp in seconds."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    scale = 1e-9 if magic in (0xA1B23C4D, 0x4D3CB2A1) else 1e-6
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: the oracle injects Ethernet (EN10MB) frames only, not link type {linktype}")
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, sub, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frames.append((sec + sub * scale, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return frames


def load(snapdir, name, default):
    p = os.path.join(snapdir, name)
    if not os.path.exists(p):
        return default
    with open(p) as f:
        return json.load(f) if name.endswith(".json") else f.read()


def build_topology(snap):
    addrs = load(snap, "ip-addr.json", [])
    ifaces = [a for a in addrs if a.get("link_type") != "loopback"]
    sh("ip", "netns", "add", H)
    sh("ip", "netns", "add", W)
    # IPv4 only: IPv6 would add router solicitations, MLD and DAD to every trace.
    for ns in (H, W):
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    peers = {}
    for i, a in enumerate(ifaces):
        name, peer = a["ifname"], f"w{i}"
        sh("ip", "link", "add", name, "netns", H, "type", "veth", "peer", "name", peer, "netns", W)
        sh("ip", "-n", H, "link", "set", name, "address", a["address"], "mtu", str(a["mtu"]))
        sh("ip", "-n", W, "link", "set", peer, "mtu", "9000", "up")
        # The wire side only listens: its packet socket sees each frame (taps run before
        # ingress), then a netdev ingress chain drops it, so the wire's own IP stack adds
        # nothing to the trace (what it does add, a NETFILTER_DROP at the ingress hook, is
        # filtered out below by its location).
        nft = f"table netdev wire {{\n chain in_{peer} {{\n type filter hook ingress device {peer} priority 0; policy drop;\n }}\n}}\n"
        subprocess.run(["ip", "netns", "exec", W, "nft", "-f", "-"], input=nft, text=True, check=True)
        sh("ethtool", "-K", name, "tx", "off", ns=H, quiet=True)
        sh("ethtool", "-K", peer, "tx", "off", ns=W, quiet=True)
        if "UP" in a.get("flags", []):
            sh("ip", "-n", H, "link", "set", name, "up")
        for ai in a.get("addr_info", []):
            if ai["family"] != "inet":
                continue
            sh("ip", "-n", H, "addr", "add", f"{ai['local']}/{ai['prefixlen']}", "dev", name)
        peers[name] = peer
    # sysctls before routes (forwarding affects nothing here, rp_filter etc. are per device).
    for line in (load(snap, "sysctl.txt", "") or "").splitlines():
        if " = " not in line:
            continue
        k, v = line.split(" = ", 1)
        if k.startswith("net.ipv4.") and not k.startswith("net.ipv4.neigh") and "tcp_" not in k:
            sh("sysctl", "-qw", f"{k}={v}", ns=H, check=False)
    for r in load(snap, "ip-route.json", []):
        if r.get("protocol") == "kernel" or ":" in r.get("dst", "") + r.get("gateway", ""):
            continue
        cmd = ["ip", "-n", H, "route", "add"]
        if r.get("type"):
            cmd.append(r["type"])
        cmd.append(r["dst"])
        for k, flag in (("gateway", "via"), ("dev", "dev"), ("table", "table"), ("metric", "metric"),
                        ("prefsrc", "src"), ("protocol", "proto"), ("scope", "scope")):
            if k in r:
                cmd += [flag, str(r[k])]
        for m in r.get("metrics", []):
            if "mtu" in m:
                cmd += ["mtu", str(m["mtu"])]
        sh(*cmd)
    for rule in load(snap, "ip-rule.json", []):
        if rule.get("priority") in (0, 32766, 32767) and rule.get("src") == "all" and len(rule) == 3:
            continue
        cmd = ["ip", "-n", H, "rule", "add", "pref", str(rule["priority"])]
        if "not" in rule:
            cmd.append("not")
        if rule.get("src", "all") != "all":
            cmd += ["from", f"{rule['src']}/{rule.get('srclen', 32)}"]
        if "dst" in rule:
            cmd += ["to", f"{rule['dst']}/{rule.get('dstlen', 32)}"]
        if "fwmark" in rule:
            cmd += ["fwmark", rule["fwmark"] + ("/" + rule["fwmask"] if "fwmask" in rule else "")]
        for k in ("iif", "oif", "ipproto", "sport", "dport"):
            if k in rule:
                cmd += [k, str(rule[k])]
        cmd += [rule["action"]] if "action" in rule else ["table", rule["table"]]
        sh(*cmd)
    for n in load(snap, "ip-neigh.json", []):
        if "lladdr" in n and ":" not in n["dst"]:
            sh("ip", "-n", H, "neigh", "replace", n["dst"], "lladdr", n["lladdr"], "dev", n["dev"], "nud", "permanent")
    nft = load(snap, "nft.txt", None)
    if nft:
        subprocess.run(["ip", "netns", "exec", H, "nft", "-f", "-"], input=nft, text=True, check=True)
    return peers


def start_listeners(snap):
    """Hold open the snapshot's listening TCP and unconnected UDP sockets inside H."""
    socks = []
    with Netns(H):
        for line in (load(snap, "ss.txt", "") or "").splitlines():
            f = line.split()
            if len(f) < 6 or f[0] not in ("tcp", "udp") or f[1] not in ("LISTEN", "UNCONN"):
                continue
            local = f[4]
            host, port = local.rsplit(":", 1)
            if host.startswith("[") or host.startswith("127."):
                continue
            host = "0.0.0.0" if host in ("*", "0.0.0.0") else host.split("%")[0]
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if f[0] == "tcp" else socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, int(port)))
            if f[0] == "tcp":
                s.listen(16)
            socks.append(s)
    return socks


def tracing_on():
    if not os.path.exists(f"{TRACEFS}/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=True)
    os.mkdir(INSTANCE)
    for ev in ("skb/kfree_skb", "skb/consume_skb", "fib/fib_table_lookup"):
        with open(f"{INSTANCE}/events/{ev}/enable", "w") as f:
            f.write("1")
    with open(f"{INSTANCE}/events/skb/kfree_skb/trigger", "w") as f:
        f.write("stacktrace")


def tracing_off():
    if not os.path.exists(INSTANCE):
        return
    try:
        with open(f"{INSTANCE}/events/skb/kfree_skb/trigger", "w") as f:
            f.write("!stacktrace")
    except OSError:
        pass
    for ev in ("skb/kfree_skb", "skb/consume_skb", "fib/fib_table_lookup"):
        try:
            with open(f"{INSTANCE}/events/{ev}/enable", "w") as f:
                f.write("0")
        except OSError:
            pass
    os.rmdir(INSTANCE)


# Ends that are not the injected frame's: our own packet-socket reads, the wire's tc drop, and
# traffic of other namespaces on this machine.
NOISE_LOCATIONS = {"packet_recvmsg", "virtio_transport_tx_work", "virtio_transport_recv_pkt", "netlink_broadcast_filtered",
                   "skb_defer_free_flush"}


def read_trace():
    with open(f"{INSTANCE}/trace") as f:
        text = f.read()
    with open(f"{INSTANCE}/trace", "w") as f:
        f.write("")
    events, current = [], None
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if " => " in line[:8] or line.lstrip().startswith("=>"):
            if current is not None:
                current.setdefault("stack", []).append(line.strip()[3:].split("+")[0])
            continue
        for name in ("kfree_skb:", "consume_skb:", "fib_table_lookup:", "<stack trace>"):
            if name in line:
                if name == "<stack trace>":
                    continue  # the frames follow on their own lines
                body = line.split(name, 1)[1].strip()
                current = {"event": name[:-1], "text": body}
                if name == "kfree_skb:":
                    current["location"] = body.split("location=")[1].split()[0].split("+")[0]
                    current["reason"] = body.split("reason: ")[1].strip()
                elif name == "consume_skb:":
                    current["location"] = body.split("location=")[1].split()[0].split("+")[0]
                events.append(current)
    for e in events:  # compiler clones: __netif_receive_skb_core.constprop.0 is __netif_receive_skb_core
        if "stack" in e:
            e["stack"] = [f.split(".")[0] for f in e["stack"] if f != "trace_event_raw_event_kfree_skb"]
    return [e for e in events if e.get("location") not in NOISE_LOCATIONS and "nft_do_chain_netdev" not in e.get("stack", [])]


def snmp():
    """Every counter in /proc/self/net/{snmp,netstat} under its nstat name."""
    out = {}
    for path in ("/proc/self/net/snmp", "/proc/self/net/netstat"):
        with open(path) as f:
            lines = f.read().splitlines()
        for head, vals in zip(lines[0::2], lines[1::2]):
            prefix, names = head.split(":", 1)
            _, values = vals.split(":", 1)
            for n, v in zip(names.split(), values.split()):
                out[prefix + n] = int(v)
    return out


# TCP: the kernel picks a random ISN; fixtures count the host's sequence space from 0 (the model's
# ISN). The ISN of each SYN-ACK the host sends is learned, and later segments of that connection
# have their acknowledgment number shifted by it (checksum recomputed) before injection.
def learn_isn(f, isn):
    if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
        return
    t = 14 + (f[14] & 15) * 4
    if f[t + 13] & 0x12 == 0x12:
        src, dst = f[26:30], f[30:34]
        isn[(dst, f[t + 2:t + 4], f[t:t + 2])] = int.from_bytes(f[t + 4:t + 8], "big")


def shift_ack(f, isn):
    if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
        return f
    t = 14 + (f[14] & 15) * 4
    key = (f[26:30], f[t:t + 2], f[t + 2:t + 4])
    if key not in isn or not f[t + 13] & 0x10:
        return f
    f = bytearray(f)
    ack = (int.from_bytes(f[t + 8:t + 12], "big") + isn[key]) & 0xffffffff
    f[t + 8:t + 12] = ack.to_bytes(4, "big")
    f[t + 16:t + 18] = b"\x00\x00"
    seg = bytes(f[t:14 + int.from_bytes(f[16:18], "big")])
    pseudo = f[26:34] + b"\x00\x06" + len(seg).to_bytes(2, "big")
    data = pseudo + seg + (b"\x00" if len(seg) % 2 else b"")
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    f[t + 16:t + 18] = (~s & 0xffff).to_bytes(2, "big")
    return bytes(f)


def main():
    snap, capture = sys.argv[1], sys.argv[2]
    frames = read_pcap(capture)
    peers = {}
    socks = []
    def cleanup(*_):
        tracing_off()
        for s in socks:
            s.close()
        subprocess.run(["ip", "netns", "del", H], capture_output=True)
        subprocess.run(["ip", "netns", "del", W], capture_output=True)
    signal.signal(signal.SIGINT, lambda *a: (cleanup(), sys.exit(130)))
    signal.signal(signal.SIGTERM, lambda *a: (cleanup(), sys.exit(143)))
    try:
        peers = build_topology(snap)
        socks = start_listeners(snap)
        host_macs = {a["address"]: a["ifname"] for a in load(snap, "ip-addr.json", [])}
        default_iface = sys.argv[sys.argv.index("--iface") + 1] if "--iface" in sys.argv else next(iter(peers))
        wires = {}
        with Netns(W):
            for name, peer in peers.items():
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
                s.bind((peer, 0))
                s.setblocking(False)
                wires[name] = s
        time.sleep(0.3)
        tracing_on()
        for s in wires.values():  # drain router solicitations and the like
            try:
                while True:
                    s.recv(65535)
            except BlockingIOError:
                pass
        read_trace()
        isn = {}  # (peer ip, peer port, our port) -> the ISN of the kernel's SYN-ACK
        start = None
        for i, (stamp, frame) in enumerate(frames, 1):
            with Netns(H):
                before = snmp()
            # Keep the capture's clock: a gap of more than a second (a timer to expire, as
            # reassembly's ipfrag_time) is waited out in real time. What the timers do meanwhile
            # is reported with the frame that follows the gap.
            if start is None:
                start = (stamp, time.monotonic())
            lag = (stamp - start[0]) - (time.monotonic() - start[1])
            if lag > 1:
                time.sleep(lag)
            frame = shift_ack(frame, isn)
            dst = ":".join(f"{b:02x}" for b in frame[:6])
            iface = host_macs.get(dst, default_iface)
            if iface not in wires:
                iface = default_iface
            wires[iface].send(frame)
            time.sleep(0.15)
            with Netns(H):
                after = snmp()
            emitted = []
            for name, s in wires.items():
                try:
                    while True:
                        b = s.recv(65535)
                        if b == frame:
                            continue  # our own injection, looped back to the packet socket
                        emitted.append({"iface": name, "hex": b.hex()})
                except BlockingIOError:
                    pass
            for e in emitted:
                learn_isn(bytes.fromhex(e["hex"]), isn)
            counters = {k: after[k] - before.get(k, 0) for k in sorted(after) if after[k] != before.get(k, 0)}
            print(json.dumps({"frame": i, "iface": iface, "events": read_trace(), "counters": counters,
                              "emit": emitted}), flush=True)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
