#!/usr/bin/env bash
# record.sh OUTDIR NAME [DRIVER]: keeps a guest run (check.sh's OUTDIR: console.log, wire-K.pcap,
# inject.log; tx-check.sh's cue.pcap) as Fixtures/vm/recorded/NAME (DRIVER virtio_net:
# recorded-virtio_net/NAME; DRIVER tx-e1000, tx-virtio_net: recorded-tx/DRIVER-NAME's), gzipped (gzip -n: the same bytes each time), for
# VMRecordTests to hold the 6.1 profile to without a VM.
set -euo pipefail
out=${1:?usage: record.sh OUTDIR NAME}; name=${2:?usage: record.sh OUTDIR NAME}
driver=${3:-e1000}
case $driver in
    tx-*) dest=$(dirname "$0")/recorded-tx/${driver#tx-}-$name ;;
    *) dest=$(dirname "$0")/recorded$([ "$driver" = e1000 ] || echo "-$driver")/$name ;;
esac
rm -rf "$dest"; mkdir -p "$dest"
for f in "$out"/console.log "$out"/inject.log "$out"/wire-*.pcap; do
    gzip -9n -c "$f" > "$dest/$(basename "$f").gz"
done
# tx-check.sh's runs: the cue it sent in, as it is.
[ ! -f "$out/cue.pcap" ] || cp "$out/cue.pcap" "$dest/cue.pcap"
