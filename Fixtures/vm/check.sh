#!/usr/bin/env bash
# check.sh VM_DIR TRACER CAPTURE HOST_DIR OUTDIR [--graph]: one capture through the 6.1 guest
# (run-job.sh, a guest-job.py job made from HOST_DIR, one NIC per snapshot interface with its
# MAC: $DRIVER's, e1000 by default or virtio_net) and through the model (`--kernel 6.1 --driver
# $DRIVER`), then compare.py's table.
set -euo pipefail
vm=$1 tracer=$2 capture=$3 host=$4 outdir=$5 graph=${6:-}
here=$(dirname "$0")
frames=$(tcpdump -r "$capture" 2>/dev/null | wc -l)
job=$(mktemp /tmp/tracer-vm-job.XXXXXX)
trap 'rm -f "$job"' EXIT
driver=${DRIVER:-e1000}
python3 "$here/guest-job.py" "$host" "$frames" --driver "$driver" $graph > "$job"
DRIVER=$driver HOST_DIR=$host bash "$here/run-job.sh" "$vm/kernel" "$vm/base.cpio.gz" "$job" "$capture" "$outdir"
python3 "$here/compare.py" "$tracer" "$capture" "$host" "$outdir" --kernel 6.1 --driver "$driver"
