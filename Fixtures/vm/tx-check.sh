#!/usr/bin/env bash
# tx-check.sh VM_DIR TRACER TXCAPTURE HOST_DIR OUTDIR: the transmit side in the 6.1 guest, with its
# full call path. TXCAPTURE holds one packet a program on the host sent (its frames: one, or the
# fragments of one sendto): a UDP datagram (IPv4 or IPv6), an ICMP or ICMPv6 echo request (ping's
# raw socket: the snapshot's ping_group_range must allow no ping sockets), or another IPv4
# protocol's packet (IPPROTO_RAW, IP_HDRINCL), or a TCP connect(2)'s SYN (sockets.c's connect:,
# the capture's later frames from the peer injected after the cue, each rewritten onto the ISN
# and clock the guest drew, with guest-job.py --back-to-back). The guest becomes HOST_DIR's host (guest-job.py)
# with sockets.c's sender bound to the packet's source, sending its payload to its destination:
# once before the first frame (as a program that has talked before: the next hop's header is
# cached) and once more when it reads the cue, an IPv4 datagram (also for an IPv6 send) to a UDP
# port the snapshot listens on (ss.txt; else port 9, guest-job.py's) that run-job.sh sends in as
# the only frame, while the function_graph tracer records the poll and __x64_sys_sendto.
# compare.py --tx then sets the model beside it: the cue's explanation and the second send's
# (`tracer replay --tx --syscall sendto --bind`, the packet replayed twice): drops, counters, the
# frames that left, and the send's path, function by function.
# DRIVER: the guest's NICs, e1000 (default) or virtio_net.
set -euo pipefail
vm=$1 tracer=$2 txcap=$3 host=$4 outdir=$5
here=$(dirname "$0")
driver=${DRIVER:-e1000}
work=$(mktemp -d /tmp/tracer-vm-tx.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The datagram's addresses and length, and the cue: from the peer the datagram goes to when it is
# a neighbour of the snapshot's (its MAC), else from 02:00:00:00:00:99, to the sending
# interface's MAC and the datagram's source address.
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
first = datagram(frames[0]) if frames else None
if first is None or first[2] != 0:
    sys.exit(f"tx-check: {cap}: its first frame is not an IP packet's first fragment")
v6 = frames[0][12:14] == b"\x86\xdd"
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
ifaces = json.load(open(f"{host}/ip-addr.json"))
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
ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 4, 1, 0, 64, 17, 0, socket.inet_aton(peer_ip), socket.inet_aton(own["local"])))
c = sum(struct.unpack("!10H", ip)); c = (c & 0xffff) + (c >> 16); ip[10:12] = struct.pack("!H", ~c & 0xffff)
frame = bytes.fromhex(iface["address"].replace(":", "") + peer_mac.replace(":", "") + "0800") + bytes(ip) + struct.pack("!HHHH", 9, cue, 12, 0) + b"cue!"
open(out, "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) + struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame)
# The sender: a UDP socket; ping's raw socket for an echo request (ICMP, ICMPv6); IPPROTO_RAW
# (IP_HDRINCL) with the whole packet for another IPv4 protocol.
# A link-local address's interface (the sending one's): to bind to it, and to send to it.
ep = lambda a, p: (f"[{a}%{iface['ifname']}]:{p}" if a.startswith("fe80:") else f"[{a}]:{p}") if v6 else f"{a}:{p}"
if proto == 6 and len(whole) >= 20 and whole[13] & 0x12 == 0x02:
    # A connect(2)'s SYN: the guest's sender connects on the cue; the capture's frames from the
    # peer follow the cue, each answering what the guest sent (run-job.sh moves their ACK and
    # timestamp echo onto the guest's ISN and clock: HOST_FRAMES, the capture's own SYN).
    sport, dport = struct.unpack("!HH", whole[:4])
    own_macs = {bytes.fromhex(i["address"].replace(":", "")) for i in ifaces if i.get("address")}
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
    print(f"connect:{ep(src, sport)}:{ep(dst, dport)}")
    sys.exit(0)
if proto == 17:
    sport, dport, ulen = struct.unpack("!HHH", whole[:6])
    print(f"send:{ep(src, sport)}:{ep(dst, dport)}:{ulen - 8}:{whole[8:ulen].hex()}")
    sys.exit(0)
ping_groups = [l.split("=")[1].split() for l in open(f"{host}/sysctl.txt") if l.startswith("net.ipv4.ping_group_range")] \
    if os.path.exists(f"{host}/sysctl.txt") else []
if (proto, whole[:1]) in ((1, b"\x08"), (58, b"\x80")):
    if ping_groups and int(ping_groups[0][0]) <= 0 <= int(ping_groups[0][1]):
        sys.exit(f"tx-check: {host}: ping_group_range allows ping sockets; the guest's sender has only ping's raw socket")
    raw, payload = proto, whole
elif not v6 and len(data) == 1:
    raw, payload = 255, frames[0][14:14 + struct.unpack("!H", frames[0][16:18])[0]]
else:
    sys.exit(f"tx-check: {cap}: protocol {proto}: no sender for it in the guest (UDP, ICMP echo, IPv4 IP_HDRINCL)")
print(f"sendraw:{raw}:{ep(src, 0)}:{ep(dst, 0)}:{len(payload)}:{payload.hex()}")
PY
)
# A connect: the cue, then the peer's answers, each as soon as the last frame's window is over.
frames=1 pace=() window=()
if [ -f "$work/frames" ]; then frames=$(cat "$work/frames"); pace=(--back-to-back); window=(--window 0.3); export HOST_FRAMES=$work/host.pcap; fi
python3 "$here/guest-job.py" "$host" "$frames" --driver "$driver" --graph --send "$spec" "${pace[@]}" > "$work/job.sh"
DRIVER=$driver HOST_DIR=$host bash "$here/run-job.sh" "$vm/kernel" "$vm/base.cpio.gz" "$work/job.sh" "$work/cue.pcap" "$outdir"
cp "$work/cue.pcap" "$outdir/cue.pcap"
python3 "$here/compare.py" "$tracer" "$outdir/cue.pcap" "$host" "$outdir" --tx "$txcap" "${window[@]}" --kernel 6.1 --driver "$driver"
