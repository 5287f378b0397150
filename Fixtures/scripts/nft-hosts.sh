#!/usr/bin/env bash
# Makes the snapshots of hosts with a ruleset: for each Fixtures/rulesets/NAME.nft (or
# NAME.iptables), the host Fixtures/hosts/netns-h-NAME is Fixtures/hosts/netns-h with that
# ruleset, its nft.json and nft.txt written by the real nft (`nft -j list ruleset`, `nft list
# ruleset`) — and for iptables its iptables-save.txt by the real iptables-save — after loading
# the file into a throwaway network namespace, so the files are exactly what the kernel and the
# tools give back. Needs root, nftables and iptables; the namespace is deleted on exit, also on
# failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
N=tracer-fx-nft
cleanup() { ip netns del $N 2>/dev/null || true; }
trap cleanup EXIT
for ruleset in "$top"/Fixtures/rulesets/*.nft "$top"/Fixtures/rulesets/*.iptables; do
    name=$(basename "$ruleset"); name=${name%.*}
    out="$top/Fixtures/hosts/netns-h-$name"
    cleanup
    ip netns add $N
    rm -rf "$out"
    cp -r "$top/Fixtures/hosts/netns-h" "$out"
    case "$ruleset" in
        *.nft) ip netns exec $N nft -f "$ruleset" ;;
        *.iptables) ip netns exec $N iptables-restore < "$ruleset"
                    ip netns exec $N iptables-save | grep -v '^#' > "$out/iptables-save.txt" ;;
    esac
    ip netns exec $N nft -j list ruleset > "$out/nft.json"
    ip netns exec $N nft list ruleset > "$out/nft.txt"
    echo "wrote $out (ruleset $name)"
done
