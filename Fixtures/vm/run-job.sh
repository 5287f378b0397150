#!/usr/bin/env bash
# run-job.sh KERNEL_ROOT BASE.cpio.gz JOB.sh [FRAMES.pcap] OUTDIR: boots the kernel of an unpacked
# linux-image package under qemu (TCG; one e1000 NIC on a tap device in a network namespace of
# ours), runs JOB.sh in the guest and, once it prints "tracer-vm: ready", sends the capture's
# frames into the guest through the tap, recording everything the guest sends back. OUTDIR gets
# console.log (the guest's serial console: the job's output) and wire.pcap (the tap, both ways).
# Leaves nothing behind: qemu, the tap and the namespace go on exit, interrupt or failure.
# (Issue 19, a first part: the mechanism `tracer verify --vm` is to be built on.)
set -euo pipefail
root=${1:?usage: run-job.sh KERNEL_ROOT BASE.cpio.gz JOB.sh [FRAMES.pcap] OUTDIR}
base=$2; job=$3
if [ $# -ge 5 ]; then frames=$4; outdir=$5; else frames=""; outdir=$4; fi
kver=$(ls "$root/lib/modules" | head -1)
ns=trvm-$$
mkdir -p "$outdir"
work=$(mktemp -d /tmp/tracer-vm.XXXXXX)
qemu_pid=""; dump_pid=""
cleanup() {
    [ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null || true
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The job rides in a second cpio after the base one.
mkdir "$work/job" && cp "$job" "$work/job/job.sh" && chmod +x "$work/job/job.sh"
(cd "$work/job" && echo job.sh | cpio -o -H newc --quiet | gzip -1) > "$work/job.cpio.gz"
cat "$base" "$work/job.cpio.gz" > "$work/initrd.gz"

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add tap0 mode tap
ip -n "$ns" link set tap0 up
ip netns exec "$ns" sysctl -qw net.ipv6.conf.tap0.disable_ipv6=1   # the namespace itself says nothing on the wire
ip netns exec "$ns" tcpdump -i tap0 -U -w "$outdir/wire.pcap" >/dev/null 2>&1 & dump_pid=$!
: > "$outdir/console.log"
ip netns exec "$ns" qemu-system-x86_64 -m 512 -smp 1 -nodefaults -display none -no-reboot \
    -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" -append "console=ttyS0 quiet panic=-1" \
    -serial "file:$outdir/console.log" \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device e1000,netdev=n0,mac=02:00:00:00:00:01 &
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
if [ -n "$frames" ]; then
    ip netns exec "$ns" python3 - "$frames" <<'PY'
import socket, struct, sys, time
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), "a pcap (not pcapng) of Ethernet frames"
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("tap0", 0))
pos = 24
while pos + 16 <= len(data):
    _, _, caplen, _ = struct.unpack("<IIII", data[pos:pos + 16])
    s.send(data[pos + 16:pos + 16 + caplen])
    pos += 16 + caplen
    time.sleep(0.2)
PY
fi
wait_for "tracer-vm: done" 120 || { echo "run-job: the guest did not finish" >&2; exit 1; }
wait "$qemu_pid" 2>/dev/null || true; qemu_pid=""
sleep 0.3
