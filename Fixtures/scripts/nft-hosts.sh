#!/usr/bin/env bash
# Makes the snapshots of hosts with a ruleset: for each Fixtures/rulesets/NAME.nft, the host
# Fixtures/hosts/netns-h-NAME is Fixtures/hosts/netns-h with that ruleset, its nft.json and
# nft.txt written by the real nft (`nft -j list ruleset`, `nft list ruleset`) after loading the
# file into a throwaway network namespace, so the JSON is exactly what the kernel and libnftables
# give back. Needs root and nftables; the namespace is deleted on exit, also on failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
N=tracer-fx-nft
cleanup() { ip netns del $N 2>/dev/null || true; }
trap cleanup EXIT
for ruleset in "$top"/Fixtures/rulesets/*.nft; do
    name=$(basename "$ruleset" .nft)
    out="$top/Fixtures/hosts/netns-h-$name"
    cleanup
    ip netns add $N
    ip netns exec $N nft -f "$ruleset"
    rm -rf "$out"
    cp -r "$top/Fixtures/hosts/netns-h" "$out"
    ip netns exec $N nft -j list ruleset > "$out/nft.json"
    ip netns exec $N nft list ruleset > "$out/nft.txt"
    echo "wrote $out (ruleset $name)"
done
