#!/usr/bin/env bash
# run-job.sh KERNEL_ROOT BASE.cpio.gz JOB.sh [FRAMES.pcap] OUTDIR: boots the kernel of an unpacked
# linux-image package under qemu (TCG; one NIC per MAC in $NICS — else per Ethernet interface of
# $HOST_DIR/ip-addr.json, a snapshot's, with its MAC; else one, 02:00:00:00:00:01 — each on a tap
# device tapK in a network namespace of ours; $DRIVER's NIC: e1000 (the default), or virtio_net
# on qemu's virtio-net-pci), runs JOB.sh in
# the guest and, once it prints "tracer-vm: ready", sends the capture's frames into the guest,
# each when the guest asks for it ("tracer-vm: want N": Fixtures/vm/guest-job.py writes such
# jobs), on the tap of the NIC whose MAC the frame is addressed to (else tap0).
# OUTDIR gets console.log (the guest's serial console: the job's output), wire-K.pcap (tapK,
# both ways) and inject.log (frame, tap, time sent).
# With GDB_SCRIPT set (gdb-bt.sh), qemu's gdbstub listens on 127.0.0.1:1234 in our namespace
# (@SOCKET@ below) and the kernel boots with
# nokaslr; once the guest is ready, `gdb -batch -x $GDB_SCRIPT $VMLINUX` attaches (its first
# line a `target remote` to @SOCKET@, with @MODULE_ARGS@ the NIC driver module's section addresses
# the guest printed as "tracer-vm: module ...") and the frames go in only after it says
# "tracer-gdb: armed"; its output is OUTDIR/gdb.log.
# Leaves nothing behind: qemu, gdb, the taps and the namespace go on exit, interrupt or failure.
# (Issue 19: the mechanism `tracer verify --vm` is to be built on.)
set -euo pipefail
root=${1:?usage: run-job.sh KERNEL_ROOT BASE.cpio.gz JOB.sh [FRAMES.pcap] OUTDIR}
base=$2; job=$3
if [ $# -ge 5 ]; then frames=$4; outdir=$5; else frames=""; outdir=$4; fi
kver=$(ls "$root/lib/modules" | head -1)
ns=trvm-$$
mkdir -p "$outdir"
work=$(mktemp -d /tmp/tracer-vm.XXXXXX)
qemu_pid=""; dump_pid=""; gdb_pid=""
stop() {   # stop PID: SIGTERM, and SIGKILL a second later if it blocks that (a parent's signal mask is inherited)
    kill "$1" 2>/dev/null || return 0
    (sleep 1; kill -9 "$1" 2>/dev/null) & local killer=$!
    wait "$1" 2>/dev/null || true
    kill "$killer" 2>/dev/null || true
}
cleanup() {
    for p in $dump_pid $gdb_pid; do stop "$p"; done
    [ -n "$qemu_pid" ] && stop "$qemu_pid"
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The job rides in a second cpio after the base one.
mkdir "$work/job" && cp "$job" "$work/job/job.sh" && chmod +x "$work/job/job.sh"
(cd "$work/job" && echo job.sh | cpio -o -H newc --quiet | gzip -1) > "$work/job.cpio.gz"
cat "$base" "$work/job.cpio.gz" > "$work/initrd.gz"

if [ -z "${NICS:-}" ] && [ -n "${HOST_DIR:-}" ]; then
    NICS=$(python3 -c 'import json,sys; print(" ".join(i["address"] for i in json.load(open(sys.argv[1])) if i.get("link_type") == "ether"))' "$HOST_DIR/ip-addr.json")
fi
nics=(${NICS:-02:00:00:00:00:01})
case ${DRIVER:-e1000} in
    e1000) device=e1000 ;;
    virtio_net) device=virtio-net-pci ;;
    *) echo "run-job: DRIVER is e1000 or virtio_net, not $DRIVER" >&2; exit 2 ;;
esac
ip netns add "$ns"
ip -n "$ns" link set lo up
netdevs=()
for k in "${!nics[@]}"; do
    ip -n "$ns" tuntap add "tap$k" mode tap
    ip -n "$ns" link set "tap$k" up
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.tap$k.disable_ipv6=1"   # the namespace itself says nothing on the wire
    # --immediate-mode: each packet written as it comes (not a block a second later), so that the
    # injector finds the guest's SYN in it at once (a connect's answer: tx-check.sh).
    ip netns exec "$ns" tcpdump -i "tap$k" --immediate-mode -U -w "$outdir/wire-$k.pcap" >/dev/null 2>&1 & dump_pid="$dump_pid $!"
    netdevs+=(-netdev "tap,id=n$k,ifname=tap$k,script=no,downscript=no" -device "$device,netdev=n$k,mac=${nics[$k]}")
done
: > "$outdir/console.log"
append="console=ttyS0 quiet panic=-1"; gdbstub=()
if [ -n "${GDB_SCRIPT:-}" ]; then append="$append nokaslr"; gdbstub=(-gdb tcp:127.0.0.1:1234); fi
ip netns exec "$ns" qemu-system-x86_64 -m 512 -smp 1 -nodefaults -display none -no-reboot \
    -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" -append "$append" \
    -serial "file:$outdir/console.log" "${gdbstub[@]}" "${netdevs[@]}" &
qemu_pid=$!

wait_for() {   # wait_for TEXT SECONDS
    for _ in $(seq $(( $2 * 10 ))); do
        grep -q "$1" "$outdir/console.log" 2>/dev/null && return 0
        kill -0 "$qemu_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
wait_for "tracer-vm: ready" 120 || { echo "run-job: the guest never said ready" >&2; tail -5 "$outdir/console.log" >&2; exit 1; }
if [ -n "${GDB_SCRIPT:-}" ]; then
    modargs=$(tr -d '\r' < "$outdir/console.log" | sed -n 's/^tracer-vm: module //p' | head -1)
    sed -e "s|@SOCKET@|127.0.0.1:1234|" -e "s|@MODULE_ARGS@|$modargs|" "$GDB_SCRIPT" > "$work/gdb.cmds"
    ip netns exec "$ns" gdb -batch -nx -x "$work/gdb.cmds" "${VMLINUX:?GDB_SCRIPT needs VMLINUX}" > "$outdir/gdb.log" 2>&1 & gdb_pid=$!
    for _ in $(seq 1200); do grep -q "tracer-gdb: armed" "$outdir/gdb.log" && break; kill -0 "$gdb_pid" 2>/dev/null || break; sleep 0.1; done
    grep -q "tracer-gdb: armed" "$outdir/gdb.log" || { echo "run-job: gdb did not attach" >&2; tail -5 "$outdir/gdb.log" >&2; exit 1; }
fi
if [ -n "$frames" ]; then
    ip netns exec "$ns" python3 - "$frames" "$outdir" "${nics[@]}" <<'PY'
import os, socket, struct, sys, time
path, outdir, macs = sys.argv[1], sys.argv[2], [bytes.fromhex(m.replace(":", "")) for m in sys.argv[3:]]
magic = struct.unpack("<I", open(path, "rb").read(4))[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), "a pcap (not pcapng) of Ethernet frames"

def pcap_frames(path):
    """A little-endian pcap's frames ([] before tcpdump has made the file)."""
    try: d = open(path, "rb").read()
    except FileNotFoundError: return []
    p, out = 24, []
    while p + 16 <= len(d):
        cl = struct.unpack("<I", d[p + 8:p + 12])[0]; out.append(d[p + 16:p + 16 + cl]); p += 16 + cl
    return out

taps = []
for k in range(len(macs)):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((f"tap{k}", 0))
    taps.append(s)
frames = pcap_frames(path)
console = f"{outdir}/console.log"
log = open(f"{outdir}/inject.log", "w")

def csum(data):
    if len(data) % 2: data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def tcp(f):
    """A TCP segment straight after an IPv4 or IPv6 header: (its offset, source address, source
    port, destination address, destination port, end of the packet), else None."""
    if len(f) >= 54 and f[12:14] == b"\x08\x00" and f[23] == 6:
        t = 14 + (f[14] & 15) * 4
        src, dst, end = bytes(f[26:30]), bytes(f[30:34]), 14 + struct.unpack("!H", f[16:18])[0]
    elif len(f) >= 74 and f[12:14] == b"\x86\xdd" and f[20] == 6:
        t = 54
        src, dst, end = bytes(f[22:38]), bytes(f[38:54]), 54 + struct.unpack("!H", f[18:20])[0]
    else:
        return None
    if len(f) < t + 20: return None
    return t, src, bytes(f[t:t + 2]), dst, bytes(f[t + 2:t + 4]), end

def tsval(f, t):
    """A TCP segment's timestamp option value, else None."""
    o, end = t + 20, t + (f[t + 12] >> 4) * 4
    while o < end:
        if f[o] == 0: return None
        if f[o] == 1: o += 1; continue
        if f[o] == 8 and o + 10 <= end: return struct.unpack("!I", f[o + 2:o + 6])[0]
        o += max(2, f[o + 1])
    return None

def opens(fs):
    """The host's SYN-ACKs, and its SYNs (a connect), among frames `fs`: the initial sequence
    number and TSval, by connection (peer address, peer port, host address, host port), and
    whether the host opened it (a SYN of its own)."""
    isn = {}
    for f in fs:
        seg = tcp(f) if f[6:12] in macs else None
        if seg and f[seg[0] + 13] & 0x02:
            isn[seg[3], seg[4], seg[1], seg[2]] = (struct.unpack("!I", f[seg[0] + 4:seg[0] + 8])[0], tsval(f, seg[0]),
                                                   not f[seg[0] + 13] & 0x10)
    return isn

def synacks():
    """The guest's SYN-ACKs and SYNs so far (the taps' pcaps, written packet by packet)."""
    return opens([f for k in range(len(macs)) for f in pcap_frames(f"{outdir}/wire-{k}.pcap")])

# The host's SYN-ACKs (and SYNs) the capture itself shows: the ISN its segments acknowledge, the
# TSval they echo. Where the capture has none, they acknowledge the model's SYN-ACK, whose ISN is
# 0. HOST_FRAMES (tx-check.sh): the capture's frames the host sent, which are not injected (the
# guest sends its own): a connect's SYN.
implied = opens(frames + (pcap_frames(os.environ["HOST_FRAMES"]) if os.environ.get("HOST_FRAMES") else []))
def live(frame):
    """A peer's TCP segment answering a SYN-ACK or a SYN of the guest's: its acknowledgement
    number moved from the ISN the capture's segments acknowledge (its own SYN-ACK's or SYN's, else
    the model's 0) to the one the guest drew, as the peer's stack would have it (what LivePlay does
    for `tracer verify`): a bad ACK stays as bad."""
    f = bytearray(frame)
    seg = tcp(f)
    if seg is None: return frame
    t, src, sport, dst, dport, end = seg
    if not f[t + 13] & 0x10: return frame
    key = (src, sport, dst, dport)
    real = synacks().get(key)
    if real is None and implied.get(key, (0, None, False))[2]:
        # An answer to the guest's own SYN: its SYN may still be on its way to the tap's pcap.
        deadline = time.time() + 0.5
        while real is None and time.time() < deadline:
            time.sleep(0.01)
            real = synacks().get(key)
    if real is None: return frame
    captured = implied.get(key, (0, None, False))
    ack = struct.unpack("!I", f[t + 8:t + 12])[0]
    f[t + 8:t + 12] = struct.pack("!I", (ack - captured[0] + real[0]) & 0xffffffff)
    # Answering the guest's own SYN (a connect): the timestamp it echoes moves from the capture's
    # SYN's TSval to the guest's by the same distance (SYN_SENT checks the echo: PAWS), in place.
    if real[2] and captured[1] is not None and real[1] is not None:
        o, opts_end = t + 20, t + (f[t + 12] >> 4) * 4
        while o < opts_end and f[o] != 0:
            if f[o] == 1: o += 1; continue
            if f[o] == 8 and o + 10 <= opts_end:
                ecr = struct.unpack("!I", f[o + 6:o + 10])[0]
                f[o + 6:o + 10] = struct.pack("!I", (ecr - captured[1] + real[1]) & 0xffffffff)
                break
            o += max(2, f[o + 1])
    f[t + 16:t + 18] = b"\0\0"
    pseudo = src + dst + struct.pack("!I", end - t) + b"\0\0\0\x06" if len(src) == 16 else src + dst + b"\0\x06" + struct.pack("!H", end - t)
    f[t + 16:t + 18] = struct.pack("!H", csum(pseudo + bytes(f[t:end])))
    return bytes(f)
for n, frame in enumerate(frames, 1):
    want = f"tracer-vm: want {n}\n".encode()
    deadline = time.time() + 60
    while want not in open(console, "rb").read().replace(b"\r", b""):
        if time.time() > deadline: sys.exit(f"run-job: the guest never asked for frame {n}")
        time.sleep(0.01)
    # INJECT_DELAY (gdb-bt.sh): the guest's shell is asleep by then, so nothing it forks or
    # wakes lands in the frame's softirq (need_resched would leave a backlog's pass to ksoftirqd).
    time.sleep(float(os.environ.get("INJECT_DELAY", "0")))
    k = next((i for i, m in enumerate(macs) if frame[:6] == m), 0)
    taps[k].send(live(frame))
    print(n, k, f"{time.time():.6f}", file=log, flush=True)
PY
fi
wait_for "tracer-vm: done" 120 || { echo "run-job: the guest did not finish" >&2; exit 1; }
wait "$qemu_pid" 2>/dev/null || true; qemu_pid=""
sleep 0.3
