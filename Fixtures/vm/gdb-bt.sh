#!/usr/bin/env bash
# gdb-bt.sh VM_DIR TRACER OUTDIR: the seed notes' gdb session, for real, on Debian's 6.1 under
# qemu (`make vm-gdb`; needs `make vm-dbg`'s vmlinux, e1000.ko and virtio_net.ko with debug info in
# VM_DIR/dbg). Five guest runs (run-job.sh with GDB_SCRIPT: qemu's gdbstub, the kernel booted
# nokaslr, gdb in batch mode with the NIC driver module's symbols at the addresses the guest printed):
#   rx: the netns-h snapshot, one UDP datagram for its listener on 5353 arriving on the e1000
#       (Fixtures/rx/udp-delivered.pcap), with a breakpoint on each function of RX_BREAKS;
#   rx-rps: the netns-h-rps snapshot (eth0's receive queue steers: rps_cpus), the same datagram
#       (Fixtures/rx/rps-udp-delivered.pcap's) five times, with a breakpoint on each function of
#       RPS_BREAKS: the seed notes' `b ip_rcv`, which 6.1's e1000 reaches only through a backlog.
#       Five, because the backlog's softirq pass runs at once, in the interrupt's, only when no
#       jiffy passed and no task woke meanwhile (handle_softirqs), else in ksoftirqd: under TCG,
#       often the latter. gdb-compare.py sets the model beside a stop that took the former and
#       checks the others down to net_rx_action. No breakpoint before that choice (a stop lets
#       the guest's clock run on), and each frame is sent half a second after the guest asks
#       (INJECT_DELAY), when its shell is asleep;
#   rx-rps-poll: the same, once, with breakpoints in the poll that steers it (RPS_POLL_BREAKS);
#   rx-virtio: rx's datagram on a virtio-net-pci NIC instead (VIRTIO_BREAKS);
#   tx: the default host (192.168.1.10 on eth0, default route via 192.168.1.1), a sendto() of
#       12 bytes from 192.168.1.10:40000 to 8.8.8.8:53 (Fixtures/tx/seed-udp.pcap's datagram),
#       with a breakpoint on __dev_queue_xmit; the send is cued by a datagram to port 9.
# At each stop gdb prints "tracer-gdb: stop at FUNCTION" and `bt`; a breakpoint that never stops
# is reported by `info breakpoints` (its hit count). gdb-compare.py then sets each `bt` beside
# `tracer explain|replay --kernel 6.1 --driver e1000 (or virtio_net) --format bt --break FUNCTION`, frame for
# frame (function, file, line), and exits 1 on any difference. OUTDIR gets rx/, rx-rps/, rx-rps-poll/, rx-virtio/ and tx/ (the
# run-job.sh output, gdb.log among it) and comparison.txt.
set -euo pipefail
vm=${1:?usage: gdb-bt.sh VM_DIR TRACER OUTDIR}; tracer=${2:?}; outdir=${3:?}
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
dbg=$vm/dbg/usr/lib/debug
vmlinux=$(ls "$dbg"/boot/vmlinux-* 2>/dev/null | head -1)
e1000=$(ls "$dbg"/lib/modules/*/kernel/drivers/net/ethernet/intel/e1000/e1000.ko 2>/dev/null | head -1)
virtio=$(ls "$dbg"/lib/modules/*/kernel/drivers/net/virtio_net.ko 2>/dev/null | head -1)
[ -n "$vmlinux" ] && [ -n "$e1000" ] && [ -n "$virtio" ] || { echo "gdb-bt: no debug vmlinux/e1000.ko/virtio_net.ko under $dbg (make vm-dbg)" >&2; exit 2; }
command -v gdb >/dev/null || { echo "gdb-bt: gdb is not installed (apt-get install gdb)" >&2; exit 2; }
RX_BREAKS=${RX_BREAKS:-"ip_rcv ip_list_rcv ip_rcv_core ip_local_deliver_finish udp_queue_rcv_one_skb"}
RPS_BREAKS=${RPS_BREAKS:-"ip_rcv process_backlog"}
RPS_POLL_BREAKS=${RPS_POLL_BREAKS:-"get_rps_cpu enqueue_to_backlog"}
VIRTIO_BREAKS=${VIRTIO_BREAKS:-"page_to_skb napi_gro_receive ip_list_rcv udp_queue_rcv_one_skb"}
TX_BREAKS=${TX_BREAKS:-"__dev_queue_xmit"}
mkdir -p "$outdir"
work=$(mktemp -d /tmp/tracer-gdb.XXXXXX)
trap 'rm -rf "$work"' EXIT

gdb_script() {   # gdb_script FUNCTION...: break at each, print where and bt, go on (the module: $module)
    printf '%s\n' "set pagination off" "set confirm off" "set width 0" "set height 0" \
        "target remote @SOCKET@" "add-symbol-file ${module:-$e1000} @MODULE_ARGS@"
    for f in "$@"; do
        printf '%s\n' "break $f" "commands" "silent" "echo tracer-gdb: stop at $f\\n" "bt" "continue" "end"
    done
    printf '%s\n' "echo tracer-gdb: armed\\n" "continue" "info breakpoints"
}

# rx: one datagram in.
gdb_script $RX_BREAKS > "$work/rx.gdb"
python3 "$here/guest-job.py" "$repo/Fixtures/hosts/netns-h" 1 --gdb > "$work/rx.job"
GDB_SCRIPT=$work/rx.gdb VMLINUX=$vmlinux HOST_DIR=$repo/Fixtures/hosts/netns-h \
    bash "$here/run-job.sh" "$vm/kernel" "$vm/base.cpio.gz" "$work/rx.job" "$repo/Fixtures/rx/udp-delivered.pcap" "$outdir/rx"

# rx-rps, rx-rps-poll: the same datagram, steered to the backlog.
gdb_script $RPS_BREAKS > "$work/rx-rps.gdb"
python3 -c "import sys; a = open(sys.argv[1], 'rb').read(); open(sys.argv[2], 'wb').write(a + a[24:] * 4)" \
    "$repo/Fixtures/rx/rps-udp-delivered.pcap" "$work/rps5.pcap"
python3 "$here/guest-job.py" "$repo/Fixtures/hosts/netns-h-rps" 5 --gdb > "$work/rx-rps.job"
GDB_SCRIPT=$work/rx-rps.gdb VMLINUX=$vmlinux HOST_DIR=$repo/Fixtures/hosts/netns-h-rps INJECT_DELAY=0.5 \
    bash "$here/run-job.sh" "$vm/kernel" "$vm/base.cpio.gz" "$work/rx-rps.job" "$work/rps5.pcap" "$outdir/rx-rps"
gdb_script $RPS_POLL_BREAKS > "$work/rx-rps-poll.gdb"
python3 "$here/guest-job.py" "$repo/Fixtures/hosts/netns-h-rps" 1 --gdb > "$work/rx-rps-poll.job"
GDB_SCRIPT=$work/rx-rps-poll.gdb VMLINUX=$vmlinux HOST_DIR=$repo/Fixtures/hosts/netns-h-rps \
    bash "$here/run-job.sh" "$vm/kernel" "$vm/base.cpio.gz" "$work/rx-rps-poll.job" "$repo/Fixtures/rx/rps-udp-delivered.pcap" "$outdir/rx-rps-poll"

# rx-virtio: rx's datagram on a virtio_net NIC.
module=$virtio gdb_script $VIRTIO_BREAKS > "$work/rx-virtio.gdb"
python3 "$here/guest-job.py" "$repo/Fixtures/hosts/netns-h" 1 --driver virtio_net --gdb > "$work/rx-virtio.job"
GDB_SCRIPT=$work/rx-virtio.gdb VMLINUX=$vmlinux DRIVER=virtio_net HOST_DIR=$repo/Fixtures/hosts/netns-h \
    bash "$here/run-job.sh" "$vm/kernel" "$vm/base.cpio.gz" "$work/rx-virtio.job" "$repo/Fixtures/rx/udp-delivered.pcap" "$outdir/rx-virtio"

# tx: the cue datagram (192.168.1.1:9 → 192.168.1.10:9, to the default host's MAC) makes the
# guest's sender send its second datagram, the one gdb stops.
python3 - "$work/cue.pcap" <<'PY'
import struct, sys
ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + 4, 1, 0, 64, 17, 0, bytes([192, 168, 1, 1]), bytes([192, 168, 1, 10])))
s = sum(struct.unpack("!10H", ip)); s = (s & 0xffff) + (s >> 16); ip[10:12] = struct.pack("!H", ~s & 0xffff)
frame = bytes.fromhex("525400123456" "525400000001" "0800") + bytes(ip) + struct.pack("!HHHH", 9, 9, 12, 0) + b"cue!"
open(sys.argv[1], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) + struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
PY
python3 - "$work/default" <<'PY'
# The default host's snapshot (Sources/HostModel/DefaultHost.swift), as files for guest-job.py.
import json, os, sys
d = sys.argv[1]; os.makedirs(d)
json.dump([{"ifname": "eth0", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500, "link_type": "ether",
            "address": "52:54:00:12:34:56", "addr_info": [{"family": "inet", "local": "192.168.1.10", "prefixlen": 24}]}], open(f"{d}/ip-addr.json", "w"))
json.dump([{"dst": "default", "gateway": "192.168.1.1", "dev": "eth0", "flags": []}], open(f"{d}/ip-route.json", "w"))
json.dump([{"dst": "192.168.1.1", "dev": "eth0", "lladdr": "52:54:00:00:00:01", "state": ["REACHABLE"]}], open(f"{d}/ip-neigh.json", "w"))
PY
gdb_script $TX_BREAKS > "$work/tx.gdb"
python3 "$here/guest-job.py" "$work/default" 1 --gdb --send 192.168.1.10:40000:8.8.8.8:53:12 > "$work/tx.job"
GDB_SCRIPT=$work/tx.gdb VMLINUX=$vmlinux NICS=52:54:00:12:34:56 \
    bash "$here/run-job.sh" "$vm/kernel" "$vm/base.cpio.gz" "$work/tx.job" "$work/cue.pcap" "$outdir/tx"

python3 "$here/gdb-compare.py" "$tracer" "$outdir" | tee "$outdir/comparison.txt"
exit "${PIPESTATUS[0]}"
