#!/bin/sh
# Gating a firewall change in CI: the repository keeps real captures and, for each, the golden
# explanation of it on today's host (`tracer explain CAPTURE --host SNAP --format json`). A
# proposed change is a snapshot of the host as it would be; this fails (exit 1) when the change
# alters the fate of any recorded frame beyond what the allow file expects, and prints each.
# usage: gate-firewall.sh TRACER CAPTURE GOLDEN PROPOSED_SNAPSHOT [ALLOW_FILE]
set -eu
tracer=$1 capture=$2 golden=$3 proposed=$4 allow=${5:-}
if [ -n "$allow" ]; then
    exec "$tracer" diff "$capture" --before "$golden" --after "$proposed" --allow "$allow"
fi
exec "$tracer" diff "$capture" --before "$golden" --after "$proposed"
