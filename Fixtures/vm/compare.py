#!/usr/bin/env python3
"""compare.py TRACER CAPTURE HOST OUTDIR [tracer options...]: the model's explanation of CAPTURE
(tracer explain --format json) beside what the guest of run-job.sh (a guest-job.py job) did with
each frame, field by field:
 - drops: each packet's skb:kfree_skb, its reason and the function that freed it (the first
   frame of the trigger's stack below kfree_skb_reason);
 - counters: the frame's /proc/net/snmp and netstat deltas, by nstat name;
 - sent: the frames the guest sent in the half second after this frame, until the next
   (the guest's window before it reads its trace; wire-K.pcap, the tap of
   NIC K), byte for byte with what the kernel draws masked (IP ID and checksums; its TCP
   sequence numbers, from the ISN it drew, and timestamp values);
 - path (when the guest ran the function_graph tracer): the model's path, its functions the
   profile does not call inlined (nor notrace: a body the tracer cannot see), must be entered in that order in the guest's record of the
   frame's softirq (an ordered subsequence: the model leaves helpers out); a function the
   profile calls inlined must not be in it (the tracer sees only functions with bodies).
--tx TXCAPTURE (tx-check.sh): the guest's sender (sockets.c) made each of TXCAPTURE's sends once
before the first frame (unless the cue ends in a 0 byte: a next hop left STALE or unresolved)
and each again as it read its cue (a guest frame whose payload is "cue!"
and the send's frame number; "cue!" alone, an older run's: frame 1); the guest's other frames are
the capture's frames from the peer. The model replays the sends, then the whole capture a second
later (`tracer replay --tx --syscall sendto --bind`: the sender is bound); each cue's send (its
drops, counters and frames) joins the cue's frame, its path held to the guest's function_graph
record under __x64_sys_sendto, and each peer frame is the replay's explanation of it.
A TCP SYN first (a connect: sockets.c's connect:) is replayed once (`tracer replay --tx`,
unbound): the connect joins frame 1 (its path held to the record under __x64_sys_connect), and
each frame the capture shows the peer sending, the guest's frames 2, 3 …, is the replay's
explanation of it as received; the windows are --back-to-back's 0.3 s (--window S says otherwise).
The model takes each frame at the time the guest did (inject.log: the capture's first frame's
time, then the guest's gaps, 1.5 s or more), so that rate limits, timers and neighbour states
run on the guest's clock in both.
Prints one line per field (agree / DISAGREE) and a total; exits 1 if a field disagrees.
OUTDIR's files may be gzipped (console.log.gz, wire-K.pcap.gz, inject.log.gz): a recorded run."""
import gzip, json, os, re, struct, subprocess, sys

tracer, capture, host, outdir, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
# The guest's graph function (guest-job.py's): the driver's NAPI poll.
poll = {"e1000": "e1000_clean", "virtio_net": "virtnet_poll"}[extra[extra.index("--driver") + 1] if "--driver" in extra else "e1000"]
tx = None
# The guest's window after each frame (guest-job.py's: 0.5 s; --back-to-back's 0.3 s, which
# tx-check.sh uses for a connect, and which a connect's run is read with unless told).
window = None
if "--window" in extra:
    window = float(extra[extra.index("--window") + 1])
    del extra[extra.index("--window"):extra.index("--window") + 2]
if "--tx" in extra:
    tx = extra[extra.index("--tx") + 1]
    del extra[extra.index("--tx"):extra.index("--tx") + 2]
    # The cue to port 9 (a snapshot with no UDP listener of its own): the guest's listener there
    # (guest-job.py's) is a socket the model is told of too, in a copy of the snapshot.
    cue = open(capture, "rb").read()[40:]
    if cue[12:14] == b"\x08\x00" and struct.unpack("!H", cue[14 + (cue[14] & 15) * 4 + 2:][:2])[0] == 9:
        import atexit, shutil, tempfile
        copy = tempfile.mkdtemp(prefix="tracer-compare-host-")
        atexit.register(shutil.rmtree, copy, True)
        shutil.copytree(host, copy, dirs_exist_ok=True)
        ss = os.path.join(copy, "ss.txt")
        text = open(ss).read() if os.path.exists(ss) else ""
        if not any(l.split()[:2] == ["udp", "UNCONN"] and l.split()[4].rpartition(":")[2] == "9" for l in text.splitlines() if len(l.split()) >= 5):
            open(ss, "w").write(text + ("" if text.endswith("\n") or not text else "\n") + "udp UNCONN 0 0 *:9 *:*\n")
        host = copy


def read(name):
    """OUTDIR/name, or its .gz (a recorded run, Fixtures/vm/recorded)."""
    path = f"{outdir}/{name}"
    return open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz").read()


console = read("console.log").decode(errors="replace").replace("\r", "")


def sections(kind):
    """The console's `== KIND N` sections, by frame number."""
    out = {}
    for m in re.finditer(rf"^== {kind} (\d+)\n(.*?)(?=^== |^tracer-vm: |\Z)", console, re.M | re.S):
        out[int(m.group(1))] = m.group(2)
    return out


def snmp(text):
    """nstat's names for /proc/net/snmp and netstat (a header line, then a value line) and
    /proc/net/snmp6 (after the guest's "-- snmp6": a name and a value a line)."""
    text, _, six = text.partition("-- snmp6")
    out, lines = {}, [l.split() for l in text.split("\n")]
    for l in six.split("\n"):
        f = l.split()
        if len(f) == 2 and f[1].isdigit():
            out[f[0]] = int(f[1])
    for h, v in zip(lines, lines[1:]):   # a header, then its values under the same prefix
        if len(h) > 1 and h[0].endswith(":") and v[:1] == h[:1] and len(h) == len(v) and not h[1].lstrip("-").isdigit():
            for name, value in zip(h[1:], v[1:]):
                if value.lstrip("-").isdigit():
                    out[h[0][:-1] + name] = int(value)
    return out


def drops(trace):
    """Each packet's kfree_skb (the trigger skips protocol 0) with the stack its trigger printed:
    the n-th such event's is the n-th stack (under function_graph it comes later in the buffer)."""
    events, stacks, lines = [], [], trace.split("\n")
    for i, l in enumerate(lines):
        m = re.search(r"kfree_skb: .*protocol=(\d+) .*reason: (\w+)", l)
        if m and m.group(1) != "0":
            events.append(m.group(2))
        if "<stack trace>" in l:
            fn = None
            for k in range(i + 1, min(i + 60, len(lines))):
                f = re.match(r"\s*=> (\S+)", lines[k])
                if not f:
                    break
                if f.group(1) not in ("trace_event_raw_event_kfree_skb", "kfree_skb_reason", "kfree_skb"):
                    fn = f.group(1).split(".")[0]   # ip_rcv_finish_core.constprop.0: the compiler's clone of it
                    break
            stacks.append(fn)
    return [(r, stacks[i] if i < len(stacks) else None) for i, r in enumerate(events)]


def graph_calls(trace):
    """The functions the function_graph tracer saw entered, in order (`name() {` or `name();`)."""
    out = []
    for l in trace.split("\n"):
        parts = l.split("|", 1)
        if len(parts) < 2:
            continue
        m = re.match(r"\s*([A-Za-z_][\w.]*)(?: \[\w+\])?\(\)\s*[{;]", parts[1])
        if m:
            out.append(m.group(1).split(".")[0])   # ip_rcv_finish_core.constprop.0 is ip_rcv_finish_core
    return out


def graph_subtree(trace, root):
    """The functions entered under the first `root() {` of a function_graph record, in order."""
    out, depth = [], None
    for l in trace.split("\n"):
        parts = l.split("|", 1)
        if len(parts) < 2:
            continue
        text = parts[1]
        indent = len(text) - len(text.lstrip(" "))
        if depth is None:
            if re.match(rf"\s*{re.escape(root)}(?: \[\w+\])?\(\)\s*\{{", text):
                depth = indent
            continue
        if indent <= depth and text.strip().startswith("}"):
            break
        m = re.match(r"\s*([A-Za-z_][\w.]*)(?: \[\w+\])?\(\)\s*[{;]", text)
        if m:
            out.append(m.group(1).split(".")[0])
    return out


def pcap(path):
    """(time, frame) of each record of a pcap (µs or ns)."""
    try:
        data = read(path)
    except FileNotFoundError:
        return []
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    pos, out = 24, []
    while pos + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(end + "IIII", data[pos:pos + 16])
        out.append((sec + frac / (1e9 if nano else 1e6), data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return out


def masked(frame):
    """What the kernel draws, zeroed: IPv4 ID and header checksum, IPv6's flow label and fragment
    identification, the transport checksum, the
    sequence number of a TCP segment it sends (from the ISN it drew), the timestamp option's value,
    an ICMP timestamp reply's own times."""
    b = bytearray(frame)
    if b[12:14] == b"\x08\x06":
        del b[42:]   # an ARP packet is 28 bytes; the rest is the NIC's padding
    if len(b) >= 54 and b[12:14] == b"\x86\xdd":
        # IPv6: the flow label (auto_flowlabels: a hash of the flow with the boot's secret), and
        # the TCP fields below; the NIC's padding.
        del b[54 + struct.unpack("!H", b[18:20])[0]:]
        b[15] &= 0xf0; b[16:18] = b"\0\0"
        proto, t = b[20], 54
        if proto == 44 and len(b) >= 62:
            b[58:62] = b"\0\0\0\0"   # a fragment header's identification: drawn at random (ipv6_select_ident)
    elif len(b) >= 34 and b[12:14] == b"\x08\x00":
        del b[14 + struct.unpack("!H", b[16:18])[0]:]   # the NIC's padding to 60 bytes: not the kernel's
        ihl = (b[14] & 15) * 4
        b[18:20] = b"\0\0"; b[24:26] = b"\0\0"
        proto, t = b[23], 14 + ihl
    else:
        return bytes(b).hex()
    if proto == 6 and len(b) >= t + 20:
        b[t + 16:t + 18] = b"\0\0"
        b[t + 4:t + 8] = b"\0\0\0\0"   # the guest's sequence space starts at the ISN it drew
        o, end = t + 20, t + (b[t + 12] >> 4) * 4
        while o < min(end, len(b)):
            kind = b[o]
            if kind == 0:
                break
            if kind == 1:
                o += 1
                continue
            if o + 1 >= len(b):
                break
            if kind == 8:
                b[o + 2:o + 6] = b"\0\0\0\0"
            o += max(2, b[o + 1])
    elif proto in (1, 17) and len(b) >= t + 8:
        b[t + (2 if proto == 1 else 6):t + (4 if proto == 1 else 8)] = b"\0\0"
        if proto == 1 and b[t] == 14 and len(b) >= t + 20:
            b[t + 12:t + 20] = bytes(8)   # a timestamp reply's receive and transmit times: the guest's clock
    return bytes(b).hex()


ifaces = [i["ifname"] for i in json.load(open(f"{host}/ip-addr.json")) if i.get("link_type") == "ether"]
macs = {bytes.fromhex(i["address"].replace(":", "")) for i in json.load(open(f"{host}/ip-addr.json")) if i.get("link_type") == "ether"}
injected = [(int(n), int(k), float(t)) for n, k, t in (l.split() for l in read("inject.log").decode().split("\n") if l)]
wire = sorted((t, ifaces[k], f) for k in range(len(ifaces)) for t, f in pcap(f"wire-{k}.pcap") if f[6:12] in macs)
traces, before, after = sections("trace"), sections("snmp before"), sections("snmp after")



def capture_frames(path):
    """The frames of a pcap file, and its byte order."""
    data = open(path, "rb").read()
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    records, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, caplen, wlen = struct.unpack(end + "IIII", data[pos:pos + 16])
        records.append((sec, frac, caplen, wlen, data[pos + 16:pos + 16 + caplen])); pos += 16 + caplen
    return data[:24], end, records


def retimed(path, times):
    """A temporary copy of the pcap at `path` with frame n's timestamp (1-based) moved to
    times[n] (seconds) where given, and each frame between kept as far after the one before as
    the capture has it: the model takes the frames when the guest took them."""
    import tempfile
    head, end, records = capture_frames(path)
    scale = 1e9 if head[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e6
    out, last, shift = bytearray(head), None, 0.0
    for n, (sec, frac, caplen, wlen, f) in enumerate(records, 1):
        t = sec + frac / scale
        if n in times:
            shift = times[n] - t
        t = max(t + shift, last if last is not None else 0.0)
        last = t
        whole = int(t)
        out += struct.pack(end + "IIII", whole, min(int(round((t - whole) * scale)), int(scale) - 1), caplen, wlen) + f
    f = tempfile.NamedTemporaryFile(suffix=".pcap", delete=False)
    f.write(out); f.close()
    return f.name


def first_time(path):
    """The pcap's first frame's time, in seconds."""
    head, _, records = capture_frames(path)
    scale = 1e9 if head[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e6
    return records[0][0] + records[0][1] / scale if records else 0.0


# The guest took frame n when run-job.sh sent it in (inject.log): 1.5 s apart, or later, not as
# the capture has them. The model is given the same frames at the same times (the capture's
# first frame's time, and the guest's gaps after it), so that what rests on the clock (rate
# limits, timers, neighbour states) is the guest's case too.
t0, g0 = first_time(capture), min((t for _, _, t in injected), default=0.0)
timed = retimed(capture, {m: t0 + t - g0 for m, _, t in injected})
try:
    model = [json.loads(l) for l in subprocess.run([tracer, "explain", timed, "--host", host, "--format", "json"] + extra,
                                                   capture_output=True, text=True, check=True).stdout.split("\n") if l]
finally:
    os.unlink(timed)
rows, bad = [], 0
txsends = {}   # a guest frame's send (a cue's): the model's explanation of it
connect = False


def cue_number(f):
    """A cue's send: the capture's frame number its payload names after "cue!" (an older run's cue,
    "cue!" alone: frame 1); None for another frame (the peer's, injected as it is)."""
    if f[12:14] != b"\x08\x00" or f[23] != 17:
        return None
    body = f[14 + (f[14] & 15) * 4 + 8:14 + struct.unpack("!H", f[16:18])[0]]
    return (struct.unpack("!I", body[4:8])[0] if len(body) >= 8 else 1) if body[:4] == b"cue!" else None


def cue_presend(f):
    """Whether the sender made its sends once before the first frame: yes unless the cue says
    not (a 0 byte after the frame number: a send's next hop STALE or unresolved, tx-check.sh)."""
    body = f[14 + (f[14] & 15) * 4 + 8:14 + struct.unpack("!H", f[16:18])[0]]
    return not (len(body) >= 9 and body[8] == 0)


if tx:
    import tempfile
    head, end, records = capture_frames(tx)

    def datagram(f):
        """A frame's datagram: its ethertype, addresses and fragment id (IPv4's IP ID; IPv6's
        fragment header's, none without one)."""
        if f[12:14] == b"\x86\xdd":
            return f[12:14], f[22:54], f[58:62] if f[20] == 44 else None
        return f[12:14], f[26:34], f[18:20]

    def fragmented(f):
        return f[12:14] == b"\x86\xdd" and f[20] == 44 or f[12:14] == b"\x08\x00" and struct.unpack("!H", f[20:22])[0] & 0x3fff

    def send_frames(n):
        """The capture's frame numbers of the send at frame n: it, and its datagram's later fragments."""
        f = records[n - 1][4]
        return [n] + [k for k in range(n + 1, len(records) + 1) if fragmented(f) and datagram(records[k - 1][4]) == datagram(f)]

    # A TCP SYN without ACK first: a connect(2)'s (IPv4, or IPv6 without extension headers).
    f0 = records[0][4]
    v4 = f0[12:14] == b"\x08\x00"
    t0 = 14 + (f0[14] & 15) * 4 if v4 else 54
    connect = (f0[23] if v4 else f0[20]) == 6 and len(f0) >= t0 + 14 and f0[t0 + 13] & 0x12 == 0x02
    if connect and window is None:
        window = 0.3
    if connect:
        # A connect (tx-check.sh): the model replays the capture (the connect's SYN, then the
        # peer's answers as received); the first joins the cue's frame, each answer is a frame.
        # (Unbound, as sockets.c's connect: is: connect picks the source address and port.)
        replayed = [json.loads(l) for l in subprocess.run([tracer, "replay", "--tx", tx, "--host", host, "--format", "json"] + extra,
                                                          capture_output=True, text=True, check=True).stdout.split("\n") if l]
        txsends[1] = replayed[0]
        model = model[:1] + [dict(r, frame=k + 2) for k, r in enumerate(r for r in replayed[1:] if r["dir"] == "rx")]
    else:
        # The guest's frames: each cue made the send its payload names; the others are the
        # capture's frames from the peer, in its order. The guest's sender made each send once
        # before the first frame, in order, and again on its cue: the model replays those sends,
        # then the whole capture a second later (`tracer replay --tx --syscall sendto --bind`:
        # the sender is bound), and each cue's send (its drops, counters and frames joining the
        # cue's) and each peer frame's explanation is the second pass's of that frame.
        guest = [f for _, _, _, _, f in capture_frames(capture)[2]]
        sends = [cue_number(f) for f in guest if cue_number(f)]
        first = [k for n in sends for k in send_frames(n)] if all(cue_presend(f) for f in guest if cue_number(f)) else []
        with tempfile.NamedTemporaryFile(suffix=".pcap", delete=False) as twice:
            twice.write(head)
            for shift, numbers in ((0, first), (1, range(1, len(records) + 1))):
                for k in numbers:
                    sec, frac, caplen, wlen, f = records[k - 1]
                    twice.write(struct.pack(end + "IIII", sec + shift, frac, caplen, wlen) + f)
        try:
            replayed = [json.loads(l) for l in subprocess.run([tracer, "replay", "--tx", twice.name, "--host", host, "--syscall", "sendto",
                                                               "--bind", "--format", "json"] + extra, capture_output=True, text=True, check=True).stdout.split("\n") if l]
        finally:
            os.unlink(twice.name)
        second = {o["frame"] - len(first): o for o in replayed if o["frame"] > len(first)}
        used = set()
        for n, f in enumerate(guest, 1):
            if cue_number(f):
                txsends[n] = second.get(cue_number(f))
                continue
            k = next((k for k in range(1, len(records) + 1) if k not in used and records[k - 1][4] == f), None)
            used.add(k)
            if k in second:
                model[n - 1] = dict(second[k], frame=n)
    for n, txsend in txsends.items():
        o = model[n - 1]
        if txsend is None:
            continue   # a row says so below
        for k, v in txsend["counters"].items():
            o["counters"][k] = o["counters"].get(k, 0) + v
        o["emit"] = o.get("emit", []) + txsend.get("emit", [])
        o["ends"] = o.get("ends", []) + txsend.get("ends", [])
        if txsend["verdict"]["action"] == "drop" and txsend["verdict"].get("reason") and not any(e.get("event") == "kfree_skb" for e in txsend.get("ends", [])):
            o["ends"].append({"event": "kfree_skb", "reason": txsend["verdict"]["reason"], "location": txsend["verdict"]["function"]})


window = 0.5 if window is None else window


def row(frame, field, m, g, ok=None):
    global bad
    ok = (m == g) if ok is None else ok
    bad += not ok
    rows.append((frame, "agree   " if ok else "DISAGREE", field, str(m), str(g)))


def path_rows(n, prefix, want, path, calls, guest):
    """PREFIX"path": `want` (the model's functions, less those it calls inlined) entered in that
    order in the guest's record `calls` (an ordered subsequence: the model leaves helpers out);
    PREFIX"inlined": none of `path`'s inlined functions entered."""
    missing, at = [], 0
    for fn in want:
        try:
            at = calls.index(fn, at) + 1
        except ValueError:
            missing.append(fn)
    row(n, prefix + "path", f"{len(want)} functions in order" if not missing else f"not entered in this order: {missing}",
        guest, ok=bool(calls) and not missing)
    # (A function the path enters both inlined and not — ip_route_output_key_hash in a connect:
    # inlined into ip_route_output_flow, called from tcp_v4_connect — may well be entered.)
    entered = {p["fn"] for p in path if not p.get("inlined")}
    shown = sorted({p["fn"] for p in path if p.get("inlined") and p["fn"] in set(calls)} - entered)
    row(n, prefix + "inlined", "none of the profile's inlined functions entered" if not shown else f"entered, but inlined in the profile: {shown}",
        "", ok=not shown)


for o in model:
    n = o["frame"]
    if n not in traces:
        row(n, "guest", "a frame", "no record of it (the guest stopped?)", ok=False)
        continue
    mdrops = [(e.get("reason") or "-", e["location"]) for e in o.get("ends", []) if e.get("event") == "kfree_skb"]
    if o["verdict"]["action"] == "drop" and o["verdict"].get("reason") and not mdrops:
        mdrops = [(o["verdict"]["reason"], o["verdict"]["function"])]
    row(n, "drops", mdrops, drops(traces[n]))
    a, b = snmp(after.get(n, "")), snmp(before.get(n, ""))
    gc = {k: v - b.get(k, 0) for k, v in a.items() if v != b.get(k, 0)}
    mc = {k: v for k, v in o["counters"].items() if k in a or k.startswith(("Ip", "Icmp", "Tcp", "Udp"))}
    six = "-- snmp6" in after.get(n, "")
    for k in sorted(set(mc) | set(gc)):
        if k.startswith(("Ip6", "Icmp6", "Udp6")) and not six:
            continue   # a recording from before the guest read /proc/net/snmp6
        if k in ("TcpCurrEstab", "TcpMaxConn", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax", "IpForwarding", "IpDefaultTTL"):
            continue   # gauges and settings, not counts
        row(n, k, mc.get(k, 0), gc.get(k, 0))
    start = next(t for m, _, t in injected if m == n)
    stop = min(start + window, next((t for m, _, t in injected if m == n + 1), float("inf")))
    gsent = [(i, masked(f)) for t, i, f in wire if start <= t < stop]
    msent = [(e["iface"], masked(bytes.fromhex(e["hex"]))) for e in o["emit"]]
    row(n, "sent", [f"{i}: {h[:28]}…" for i, h in msent] if msent != gsent else f"{len(msent)} frame(s), same bytes",
        [f"{i}: {h[:28]}…" for i, h in gsent] if msent != gsent else f"{len(gsent)} frame(s), same bytes", ok=msent == gsent)
    calls = graph_calls(traces[n])
    if calls:
        # The tracer's record starts at its graph function (the poll): what runs above it is not in it.
        path = o["path"]
        root = next((i for i, p in enumerate(path) if p["fn"] == poll), next((i for i, p in enumerate(path) if p["fn"] == calls[0]), 0))
        # ... and ends with the softirq: a timer the frame armed runs in a context of its own.
        # (A packet steered to the backlog (RPS) is taken up by the softirq's next pass,
        # net_rx_action again, whose process_backlog the guest traces too: the record goes on.)
        end = next((i for i, p in enumerate(path) if i > root and p["depth"] == 0 and p["fn"] != "net_rx_action"), len(path))
        want = [p["fn"] for p in path[root:end] if not p.get("inlined") and not p.get("notrace") and p["depth"] >= path[root]["depth"]]
        path_rows(n, "", want, path, calls, f"{len(calls)} functions entered")
    if n in txsends and txsends[n] is None:
        row(n, "send", f"no explanation of the capture's frame {cue_number(guest[n - 1])}", "a send", ok=False)
    if txsends.get(n) is not None:
        call = "__x64_sys_connect" if connect else "__x64_sys_sendto"
        sent = graph_subtree(traces[n], call)
        path = txsends[n]["path"]
        root = next((i for i, p in enumerate(path) if p["fn"] == call), 0)
        want = [p["fn"] for p in path[root + 1:] if not p.get("inlined") and not p.get("notrace") and p["depth"] > path[root]["depth"]]
        path_rows(n, "send ", want, path, sent, f"{len(sent)} functions entered under {call}" if sent else f"no {call} in the record")

w = max(len(r[2]) for r in rows)
for frame, status, field, m, g in rows:
    print(f"{status} frame {frame:<3} {field:<{w}}  model: {m:<44}  guest: {g}")
print(f"{len(rows) - bad} of {len(rows)} fields agree")
sys.exit(1 if bad else 0)
