#!/usr/bin/env bash
# tx-check.sh VM_DIR TRACER TXCAPTURE HOST_DIR OUTDIR: the transmit side in the 6.1 guest, with its
# full call path. TXCAPTURE holds what a program on the host sent, and what the peer sent it: each
# packet of the host's that a program sends — a UDP datagram (IPv4 or IPv6; its fragments are one
# send), an ICMP or ICMPv6 echo request (ping's raw socket: the snapshot's ping_group_range must
# allow no ping sockets), another IPv4 protocol's packet (IPPROTO_RAW, IP_HDRINCL) — is a send of
# sockets.c's sender in the guest (one socket per source, bound to it), and the peer's frames are
# injected where the capture has them (an ICMP error the sends drew, a reply). The host's other
# frames (its ICMP errors, echo replies, ARP, ND) are the kernel's answers, what the model predicts,
# not sent. The guest becomes HOST_DIR's host (guest-job.py); the sender makes every send once
# before the first frame (as a program that has talked before: the next hops' headers are cached;
# not when a send's next hop is a neighbour the snapshot has STALE, unresolved or not at all: its
# state is left to the capture's send), and each again when it reads its cue, an IPv4 datagram
# (also for an IPv6 send) to a UDP port the snapshot listens on (ss.txt; else port 9,
# guest-job.py's), "cue!" and the send's frame number, which run-job.sh sends in where the capture
# has the send, one frame a slot, while the function_graph tracer records the poll and
# __x64_sys_sendto.
# A capture that starts with a TCP SYN is a connect(2)'s (sockets.c's connect:): the capture's
# later frames from the peer injected after the cue, each rewritten onto the ISN and clock the
# guest drew, with guest-job.py --back-to-back.
# compare.py --tx then sets the model beside it: the cues' explanations and the sends' (`tracer
# replay --tx --syscall sendto --bind`: the sends, then the whole capture a second later), the
# peer's frames as that replay explains them: drops, counters, the frames that left, and each
# send's path, function by function.
# DRIVER: the guest's NICs, e1000 (default) or virtio_net.
set -euo pipefail
vm=$1 tracer=$2 txcap=$3 host=$4 outdir=$5
here=$(dirname "$0")
driver=${DRIVER:-e1000}
work=$(mktemp -d /tmp/tracer-vm-tx.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The sends, the peer's frames and the cues between them: each cue from the peer the host's first
# packet goes to when it is a neighbour of the snapshot's (its MAC), else from 02:00:00:00:00:99,
# to the sending interface's MAC and its IPv4 address.
spec=$(python3 - "$txcap" "$host" "$work/cue.pcap" <<'PY'
import ipaddress, json, os, socket, struct, sys
cap, host, out = sys.argv[1:4]
d = open(cap, "rb").read()
end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"


def datagram(g):
    """(addresses, fragment id, offset, payload bytes, protocol) of an IPv4 or IPv6 packet's frame
    (a fragment's payload: its share of the transport header and data), else None."""
    if g[12:14] == b"\x08\x00":
        ihl, flags = (g[14] & 15) * 4, struct.unpack("!H", g[20:22])[0]
        return g[26:34], g[18:20], (flags & 0x1fff) * 8, g[14 + ihl:14 + struct.unpack("!H", g[16:18])[0]], g[23]
    if g[12:14] == b"\x86\xdd":
        body = g[54:54 + struct.unpack("!H", g[18:20])[0]]
        if g[20] == 44:   # a fragment header
            return g[22:54], body[4:8], struct.unpack("!H", body[2:4])[0] & 0xfff8, body[8:], body[0]
        return g[22:54], None, 0, body, g[20]
    return None


frames, pos = [], 24
while pos + 16 <= len(d):
    cl = struct.unpack(end + "I", d[pos + 8:pos + 12])[0]; frames.append(d[pos + 16:pos + 16 + cl]); pos += 16 + cl
ifaces = json.load(open(f"{host}/ip-addr.json"))
own_macs = {bytes.fromhex(i["address"].replace(":", "")) for i in ifaces if i.get("address")}
# The host's first packet (its first frame from one of the snapshot's MACs): its addresses choose
# the cue's interface and peer; a TCP SYN there is a connect.
at = next((k for k, g in enumerate(frames) if g[6:12] in own_macs and datagram(g)), None)
first = datagram(frames[at]) if at is not None else None
if first is None or first[2] != 0:
    sys.exit(f"tx-check: {cap}: no IP packet sent by the host (a frame from a MAC of {host}'s), or its first is not a first fragment")
v6 = frames[at][12:14] == b"\x86\xdd"
fam = socket.AF_INET6 if v6 else socket.AF_INET
half = len(first[0]) // 2
src, dst = socket.inet_ntop(fam, first[0][:half]), socket.inet_ntop(fam, first[0][half:])
# The payload, from the datagram's fragments (by offset; the same addresses and fragment id).
data = {}
for g in frames:
    x = datagram(g)
    if x and x[0] == first[0] and x[1] == first[1]:
        data[x[2]] = x[3]
whole, proto = b"".join(data[o] for o in sorted(data)), first[4]
iface = next(i for i in ifaces if any(a.get("local") == src for a in i.get("addr_info", [])))
neigh = json.load(open(f"{host}/ip-neigh.json")) if open(f"{host}/ip-neigh.json").read().strip() else []
# The cue is IPv4 (also for an IPv6 datagram): to the sending interface's IPv4 address, from the
# datagram's destination when it is an IPv4 neighbour of the snapshot's, else from an IPv4
# neighbour on that interface, else from an address of its subnet (MAC 02:00:00:00:00:99).
own = next((a for a in iface.get("addr_info", []) if a.get("family") == "inet"), None)
if own is None:
    sys.exit(f"tx-check: {host}: {iface['ifname']} has no IPv4 address for the cue")
peer = next((n for n in neigh if n.get("dst") == dst and n.get("lladdr") and not v6), None) or \
       next((n for n in neigh if n.get("dev") == iface["ifname"] and n.get("lladdr") and ":" not in n["dst"]), None)
if peer:
    peer_ip, peer_mac = peer["dst"], peer["lladdr"]
else:
    net = ipaddress.ip_network(f"{own['local']}/{own['prefixlen']}", strict=False)
    last = net.broadcast_address - 1   # the subnet's last host, or the one before when it is ours
    peer_ip = dst if not v6 else str(last if str(last) != own["local"] else last - 1)
    peer_mac = "02:00:00:00:00:99"
cue = 9
try:
    for line in open(f"{host}/ss.txt"):
        w = line.split()
        if len(w) >= 5 and w[0] == "udp" and w[1] == "UNCONN" and w[4].rpartition(":")[0] in ("0.0.0.0", "*", own["local"]):
            cue = int(w[4].rpartition(":")[2]); break
except FileNotFoundError:
    pass


def cue_frame(number=None, presend=True):
    """The cue: "cue!", the number of the capture's frame whose send it makes (none: the first),
    and a 0 byte when the sender made no send before the first frame."""
    body = b"cue!" + (struct.pack("!I", number) if number else b"") + (b"" if presend else b"\0")
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(body), 1, 0, 64, 17, 0, socket.inet_aton(peer_ip), socket.inet_aton(own["local"])))
    c = sum(struct.unpack("!10H", ip)); c = (c & 0xffff) + (c >> 16); ip[10:12] = struct.pack("!H", ~c & 0xffff)
    return bytes.fromhex(iface["address"].replace(":", "") + peer_mac.replace(":", "") + "0800") + bytes(ip) + struct.pack("!HHHH", 9, cue, 8 + len(body), 0) + body


frame = cue_frame()
open(out, "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) + struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame)
# The sender: a UDP socket; ping's raw socket for an echo request (ICMP, ICMPv6); IPPROTO_RAW
# (IP_HDRINCL) with the whole packet for another IPv4 protocol.
# A link-local address's interface (the sending one's): to bind to it, and to send to it.
ep = lambda a, p, six=v6: (f"[{a}%{iface['ifname']}]:{p}" if a.startswith("fe80:") else f"[{a}]:{p}") if six else f"{a}:{p}"
if proto == 6 and len(whole) >= 20 and whole[13] & 0x12 == 0x02 and at == 0:
    # A connect(2)'s SYN: the guest's sender connects on the cue; the capture's frames from the
    # peer follow the cue, each answering what the guest sent (run-job.sh moves their ACK and
    # timestamp echo onto the guest's ISN and clock: HOST_FRAMES, the capture's own SYN).
    sport, dport = struct.unpack("!HH", whole[:4])
    peer_frames = [g for g in frames[1:] if g[6:12] not in own_macs]
    host_frames = [g for g in frames if g[6:12] in own_macs]
    with open(out, "ab") as o:
        for g in peer_frames:
            o.write(struct.pack("<IIII", 1700000000, 0, len(g), len(g)) + g)
    with open(os.path.join(os.path.dirname(out), "host.pcap"), "wb") as o:
        o.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for g in host_frames:
            o.write(struct.pack("<IIII", 1700000000, 0, len(g), len(g)) + g)
    open(os.path.join(os.path.dirname(out), "frames"), "w").write(str(1 + len(peer_frames)))
    open(os.path.join(os.path.dirname(out), "connect"), "w").write("")
    print(f"connect:{ep(src, sport)}:{ep(dst, dport)}")
    sys.exit(0)
# The program's sends, each cued: every datagram the host sent that a program sends (UDP; ICMP and
# ICMPv6 echo requests; another IPv4 protocol's packet) is a send, the k-th cue (its payload
# "cue!" and the send's frame number) making the k-th; the peer's frames go in between, where the
# capture has them. (The host's other frames — its ICMP errors and echo replies, ARP, ND — are
# the kernel's own answers, the model's predictions to check, not sent.)
ping_groups = [l.split("=")[1].split() for l in open(f"{host}/sysctl.txt") if l.startswith("net.ipv4.ping_group_range")] \
    if os.path.exists(f"{host}/sysctl.txt") else []
specs, events = [], []


def settled(g, x, six):
    """Whether a send's next hop (the neighbour with its destination's address, else those with
    the frame's destination MAC) is one the snapshot has PERMANENT, REACHABLE or NOARP: then the
    sender sends once before the first frame, as a program that has talked before. A STALE, an
    unresolved or an unknown one is left as the snapshot has it (the guest installs a STALE
    neighbour as STALE), and the first send is the cue's: one earlier would start the neighbour's
    probes (DELAY, PROBE, FAILED) before the capture's send."""
    pfam = socket.AF_INET6 if six else socket.AF_INET
    h = len(x[0]) // 2
    to, mac = socket.inet_ntop(pfam, x[0][h:]), ":".join(f"{b:02x}" for b in g[0:6])
    hops = [n for n in neigh if n.get("dst") == to] or \
           [n for n in neigh if n.get("lladdr", "").lower() == mac and (":" in n["dst"]) == six]
    return bool(hops) and all(set(n.get("state", [])) & {"PERMANENT", "REACHABLE", "NOARP"} for n in hops)


sends = [(g, datagram(g)) for g in frames if g[6:12] in own_macs and datagram(g) and datagram(g)[2] == 0]
presend = all(settled(g, x, g[12:14] == b"\x86\xdd") for g, x in sends)
for n, g in enumerate(frames, 1):
    x = datagram(g)
    if g[6:12] not in own_macs:
        events.append(g)   # the peer's: injected as it is
        continue
    if x is None or x[2] != 0:
        continue   # ARP, or a later fragment (its datagram's first frame made the send)
    pfam = socket.AF_INET6 if g[12:14] == b"\x86\xdd" else socket.AF_INET
    h = len(x[0]) // 2
    six = pfam == socket.AF_INET6
    a, b = socket.inet_ntop(pfam, x[0][:h]), socket.inet_ntop(pfam, x[0][h:])
    # The datagram's payload, from its fragments (by offset; the same addresses and fragment id).
    parts = {0: x[3]}
    if x[1] is not None and (pfam == socket.AF_INET6 or struct.unpack("!H", g[20:22])[0] & 0x2000):
        for later in frames[n:]:
            y = datagram(later)
            if y and y[0] == x[0] and y[1] == x[1] and y[2] != 0:
                parts.setdefault(y[2], y[3])
    body, p = b"".join(parts[o] for o in sorted(parts)), x[4]
    if p == 17:
        sport, dport, ulen = struct.unpack("!HHH", body[:6])
        specs.append(f"send:{ep(a, sport, six)}:{ep(b, dport, six)}:{ulen - 8}:{body[8:ulen].hex()}")
    elif (p, body[:1]) in ((1, b"\x08"), (58, b"\x80")):
        if ping_groups and int(ping_groups[0][0]) <= 0 <= int(ping_groups[0][1]):
            sys.exit(f"tx-check: {host}: ping_group_range allows ping sockets; the guest's sender has only ping's raw socket")
        specs.append(f"sendraw:{p}:{ep(a, 0, six)}:{ep(b, 0, six)}:{len(body)}:{body.hex()}")
    elif p in (1, 58) or p == 6:
        continue   # the kernel's: an ICMP error or echo reply, a TCP answer
    elif pfam == socket.AF_INET and len(parts) == 1:
        whole_packet = g[14:14 + struct.unpack("!H", g[16:18])[0]]
        specs.append(f"sendraw:255:{ep(a, 0)}:{ep(b, 0)}:{len(whole_packet)}:{whole_packet.hex()}")
    else:
        sys.exit(f"tx-check: {cap}: frame {n}: protocol {p}: no sender for it in the guest (UDP, ICMP echo, IPv4 IP_HDRINCL)")
    events.append(cue_frame(n, presend))
if not specs:
    sys.exit(f"tx-check: {cap}: no packet a program sends (UDP, ICMP echo, IPv4 IP_HDRINCL, a TCP connect's SYN)")
with open(out, "wb") as o:
    o.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for g in events:
        o.write(struct.pack("<IIII", 1700000000, 0, len(g), len(g)) + g)
open(os.path.join(os.path.dirname(out), "frames"), "w").write(str(len(events)))
if not presend:
    open(os.path.join(os.path.dirname(out), "as-is"), "w").write("")
print(" ".join(specs + ([] if presend else ["nopresend"])))
PY
)
# A connect: the cue, then the peer's answers, each as soon as the last frame's window is over.
# Else each send's cue and each of the peer's frames, one a slot (1.5 s).
frames=$(cat "$work/frames") pace=() window=() sends=()
if [ -f "$work/connect" ]; then pace=(--back-to-back); window=(--window 0.3); export HOST_FRAMES=$work/host.pcap; fi
for s in $spec; do sends+=(--send "$s"); done
# No send before the first frame (tx-check's settled()): the snapshot's STALE neighbours stay STALE.
[ ! -f "$work/as-is" ] || sends+=(--stale-neighbours)
python3 "$here/guest-job.py" "$host" "$frames" --driver "$driver" --graph "${sends[@]}" "${pace[@]}" > "$work/job.sh"
DRIVER=$driver HOST_DIR=$host bash "$here/run-job.sh" "$vm/kernel" "$vm/base.cpio.gz" "$work/job.sh" "$work/cue.pcap" "$outdir"
cp "$work/cue.pcap" "$outdir/cue.pcap"
python3 "$here/compare.py" "$tracer" "$outdir/cue.pcap" "$host" "$outdir" --tx "$txcap" "${window[@]}" --kernel 6.1 --driver "$driver"
