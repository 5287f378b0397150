#!/usr/bin/env bash
# make-initramfs.sh KERNEL_ROOT OUT.cpio.gz: the small initramfs `tracer verify --vm` boots
# Debian's kernel with (issue 19; a first part: boot, NIC, tracefs, the job, power off).
#  KERNEL_ROOT: an unpacked linux-image-*-amd64 package (dpkg-deb -x), for its modules.
#  Userland from this Debian 12 machine's own packages: busybox-static for the shell and
#  tools, iproute2's ip and nstat and nftables' nft with the libraries ldd names, and the kernel's
#  modules for the NICs (e1000, virtio_net and its virtio_pci transport), veth, and IPv4/IPv6 netfilter with their
#  dependencies (modules.dep). /init mounts proc, sys, devtmpfs and tracefs, loads the modules,
#  runs /job.sh — appended by the caller as a second cpio (the kernel unpacks concatenated
#  archives in turn) — and powers the guest off.
set -euo pipefail
root=${1:?usage: make-initramfs.sh KERNEL_ROOT OUT.cpio.gz}
out=${2:?usage: make-initramfs.sh KERNEL_ROOT OUT.cpio.gz}
kver=$(ls "$root/lib/modules" | head -1)
stage=$(mktemp -d /tmp/tracer-initramfs.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib64,usr/bin,usr/sbin,lib/modules/$kver}

# busybox-static's binary (BUSYBOX= to use an unpacked one).
busybox=${BUSYBOX:-/bin/busybox}
file -L "$busybox" 2>/dev/null | grep -q "statically linked" || { echo "make-initramfs: $busybox is not busybox-static's (apt-get install busybox-static, or BUSYBOX=path)" >&2; exit 1; }
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
    [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done

# Real iproute2 and nft (busybox's ip lacks most of what a snapshot says), with their libraries,
# at their own paths: Debian's busybox sh prefers its applets to a bare name, so jobs call them
# as /usr/sbin/ip, /usr/sbin/nft, /usr/bin/nstat.
for b in /usr/sbin/ip /usr/sbin/nft /usr/bin/nstat; do
    mkdir -p "$stage$(dirname "$b")"
    cp "$b" "$stage$b"
    for lib in $(ldd "$b" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
        mkdir -p "$stage$(dirname "$lib")"
        cp -n "$lib" "$stage$lib"
    done
done

# The snapshot's listening sockets, held by a small static program (busybox's nc has no UDP listen).
cc -static -O2 -o "$stage/usr/bin/sockets" "$(dirname "$0")/sockets.c"

# The modules and everything they depend on (crc32c_generic first: libcrc32c, which nf_tables
# and nf_conntrack need, asks the crypto API for a crc32c only a softdep names).
want="crc32c_generic e1000 virtio_pci virtio_net veth nf_tables nft_chain_nat nf_conntrack nf_nat nf_reject_ipv4 nf_reject_ipv6 nft_reject nft_reject_inet nft_reject_ipv4 nft_reject_ipv6 nft_fib nft_fib_ipv4 nft_fib_ipv6 nft_fib_inet nft_ct nft_nat nft_masq nft_redir nft_limit nft_log nfnetlink nf_defrag_ipv4 nf_defrag_ipv6 ipv6"
moddir=$root/lib/modules/$kver
# An unpacked package has no modules.dep: depmod writes it (into the unpacked tree).
[ -f "$moddir/modules.dep" ] || depmod -b "$root" "$kver"
python3 - "$moddir" $want > "$stage/modules.list" <<'PY'
import os, sys
moddir, want = sys.argv[1], sys.argv[2:]
deps = {}
for line in open(os.path.join(moddir, "modules.dep")):
    path, _, rest = line.partition(":")
    deps[os.path.basename(path).split(".ko")[0].replace("-", "_")] = (path, rest.split())
order, seen = [], set()
def add(name):
    if name in seen or name not in deps: return
    seen.add(name)
    for d in deps[name][1]: add(os.path.basename(d).split(".ko")[0].replace("-", "_"))
    order.append(deps[name][0])
for w in want: add(w.replace("-", "_"))
print("\n".join(order))
PY
while read -r m; do
    mkdir -p "$stage/lib/modules/$kver/$(dirname "$m")"
    cp "$moddir/$m" "$stage/lib/modules/$kver/$m"
done < "$stage/modules.list"
cp "$moddir"/modules.{dep,alias,symbols,builtin,order} "$stage/lib/modules/$kver/" 2>/dev/null || true
[ -f "$moddir/modules.builtin.modinfo" ] && cp "$moddir/modules.builtin.modinfo" "$stage/lib/modules/$kver/"

cat > "$stage/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
for m in $(cat /modules.list); do insmod /lib/modules/$(uname -r)/$m || echo "tracer-vm: insmod $m failed"; done
ip link set lo up
echo "tracer-vm: up $(uname -r)"
if [ -x /job.sh ]; then /job.sh; echo "tracer-vm: job exit $?"; else echo "tracer-vm: no /job.sh"; fi
echo "tracer-vm: done"
poweroff -f
INIT
chmod +x "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
echo "make-initramfs: $out ($(du -h "$out" | cut -f1), kernel $kver, $(wc -l < "$stage/modules.list") modules)"
