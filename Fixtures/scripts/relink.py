#!/usr/bin/env python3
"""Rewrites an Ethernet capture as another link type, frame for frame, timestamps kept: the same
traffic as a capture without link headers would show it (LINKTYPE_RAW) or as `tcpdump -i any`
with the old cooked header does (LINUX_SLL: packet type from the host's MAC, the sender's MAC).
Used to make Fixtures/captures/wild-server-{raw,sll}.pcap, which `make oracle` replays on the
wild-server snapshot (tracer verify must rebuild the Ethernet header the kernel needs).

  relink.py raw|sll HOST_MAC IN.pcap OUT.pcap
"""
import struct, sys

def main():
    kind, mac, src, dst = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3], sys.argv[4]
    data = open(src, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    ver_major, ver_minor, zone, sigfigs, snaplen, linktype = struct.unpack(endian + "HHiIII", data[4:24])
    assert linktype == 1, "an Ethernet capture is expected"
    out = [magic + struct.pack(endian + "HHiIII", ver_major, ver_minor, zone, sigfigs, snaplen, 101 if kind == "raw" else 113)]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        eth_dst, eth_src, ethertype, payload = frame[0:6], frame[6:12], frame[12:14], frame[14:]
        if kind == "raw":
            if ethertype != b"\x08\x00":
                continue    # RAW holds IP packets only
            new = payload
        else:
            if eth_src == mac: ptype = 4
            elif eth_dst == b"\xff" * 6: ptype = 1
            elif eth_dst[0] & 1: ptype = 2
            elif eth_dst == mac: ptype = 0
            else: ptype = 3
            new = struct.pack(">HHH", ptype, 1, 6) + eth_src + b"\x00\x00" + ethertype + payload
        out.append(struct.pack(endian + "IIII", sec, frac, len(new), orig - len(frame) + len(new)) + new)
    open(dst, "wb").write(b"".join(out))

main()
