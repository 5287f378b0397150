#!/usr/bin/env bash
# Makes the CI example's files from the project's own fixtures:
#   netns-sll2.golden.jsonl  tracer explain Fixtures/captures/netns-sll2.pcap --host Fixtures/hosts/netns-h --format json
#   proposed/                Fixtures/hosts/netns-h with Fixtures/rulesets/diff-drop-80.nft loaded
#                            (its nft.json and nft.txt written by the real nft in a scratch namespace)
# Needs root (the scratch namespace). usage: Fixtures/ci/make-example.sh path/to/tracer
set -euo pipefail
tracer=$(realpath "${1:?usage: $0 path/to/tracer}")
top=$(cd "$(dirname "$0")/../.." && pwd)
ns=tracer-fx-ci
trap "ip netns del $ns 2>/dev/null || true" EXIT
ip netns del $ns 2>/dev/null || true
ip netns add $ns
"$tracer" explain "$top/Fixtures/captures/netns-sll2.pcap" --host "$top/Fixtures/hosts/netns-h" --format json \
    > "$top/Fixtures/ci/netns-sll2.golden.jsonl"
rm -rf "$top/Fixtures/ci/proposed"; cp -r "$top/Fixtures/hosts/netns-h" "$top/Fixtures/ci/proposed"
ip netns exec $ns nft -f "$top/Fixtures/rulesets/diff-drop-80.nft"
ip netns exec $ns nft -j list ruleset > "$top/Fixtures/ci/proposed/nft.json"
ip netns exec $ns nft list ruleset > "$top/Fixtures/ci/proposed/nft.txt"
echo "wrote Fixtures/ci/netns-sll2.golden.jsonl and Fixtures/ci/proposed/"
