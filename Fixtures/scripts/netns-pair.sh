# Sourced by the capture scripts, after `set -euo pipefail` and with H and W named: the tracer
# binary ($1, made absolute) and the project's top in $tracer and $top; background processes
# go in pids[]; the two namespaces are deleted on exit, also on failure, then made afresh.
tracer=$(realpath "${1:?usage: $0 path/to/tracer}")
top=$(cd "$(dirname "$0")/../.." && pwd)
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    ip netns del $H 2>/dev/null || true
    ip netns del $W 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add $H
ip netns add $W
