#!/usr/bin/env python3
"""compare.py TRACER CAPTURE HOST OUTDIR [tracer options...]: the model's explanation of CAPTURE
(tracer explain --format json) beside what the guest of run-job.sh did with the same frames:
its skb:kfree_skb events for packets (reason, and the function that freed them: the first frame
of the trigger's stack after kfree_skb_reason), its nstat counters, and the frames it sent back
(OUTDIR/wire.pcap, read with tcpdump). Prints a table; exits 1 if a field disagrees.
(Issue 19's first part: until a --kernel 6.1 profile exists the model runs its 6.18 e1000 profile,
so the differences between the two kernels show up here as disagreements.)"""
import json, re, subprocess, sys

tracer, capture, host, outdir, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
console = open(f"{outdir}/console.log", errors="replace").read().replace("\r", "")

# The guest's packet drops, in order: reason and freeing function.
drops, lines = [], console.split("\n")
for i, l in enumerate(lines):
    m = re.search(r"kfree_skb: .*protocol=(\d+) .*reason: (\w+)", l)
    if not m or m.group(1) == "0":
        continue
    fn = None
    for k in range(i + 1, min(i + 40, len(lines))):
        f = re.match(r"\s*=> (\S+)", lines[k])
        if f and f.group(1) not in ("trace_event_raw_event_kfree_skb", "kfree_skb_reason", "kfree_skb", "<stack"):
            fn = f.group(1); break
    drops.append((m.group(2), fn))
guest_counters = {}
if "== nstat" in console:
    for l in console.split("== nstat", 1)[1].split("\n"):
        m = re.match(r"(\w+)\s+(\d+)\s", l)
        if m and not l.startswith("#"):
            guest_counters[m.group(1)] = int(m.group(2))
def frames(path):
    """The Ethernet frames of a pcap (little- or big-endian, µs or ns)."""
    import struct
    data = open(path, "rb").read()
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    pos, out = 24, []
    while pos + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(end + "IIII", data[pos:pos + 16])
        out.append(data[pos + 16:pos + 16 + caplen]); pos += 16 + caplen
    return out
def masked(frame):
    """An IPv4 frame with its IP ID and header checksum zeroed: the kernel draws the ID
    (ip_select_ident), the model cannot know it."""
    b = bytearray(frame)
    if len(b) >= 34 and b[12:14] == b"\x08\x00":
        b[18:20] = b"\0\0"; b[24:26] = b"\0\0"
    return bytes(b).hex()
sent = [f for f in frames(f"{outdir}/wire.pcap") if f[6:12] == bytes.fromhex("020000000001") and f[12:14] != b"\x86\xdd"]

model = [json.loads(l) for l in subprocess.run([tracer, "explain", capture, "--host", host, "--format", "json"] + extra,
                                               capture_output=True, text=True).stdout.split("\n") if l]
model_drops = [(o["verdict"]["reason"] or "-", o["verdict"]["function"]) for o in model if o["verdict"]["action"] == "drop"]
model_counters = {}
for o in model:
    for k, v in o["counters"].items():
        model_counters[k] = model_counters.get(k, 0) + v
model_sent = [(e["summary"], bytes.fromhex(e["hex"])) for o in model for e in o["emit"]]

rows, bad = [], 0
def row(field, m, g):
    global bad
    ok = m == g
    bad += not ok
    rows.append((("agree   " if ok else "DISAGREE"), field, str(m), str(g)))
for i in range(max(len(drops), len(model_drops))):
    row(f"drop {i + 1}", model_drops[i] if i < len(model_drops) else None, drops[i] if i < len(drops) else None)
for k in sorted(set(model_counters) | set(guest_counters)):
    row(k, model_counters.get(k, 0), guest_counters.get(k, 0))
row("frames sent back", len(model_sent), len(sent))
for (summary, m), g in zip(model_sent, sent):
    row("sent: " + summary, "bytes " + ("=" if masked(m) == masked(g) else masked(m)), "bytes " + ("=" if masked(m) == masked(g) else masked(g)))
w = max(len(r[1]) for r in rows)
for status, field, m, g in rows:
    print(f"{status} {field:<{w}}  model: {m:<40}  guest: {g}")
print(f"{len(rows) - bad} of {len(rows)} fields agree")
sys.exit(1 if bad else 0)
