#!/usr/bin/env bash
# make install-check: what a new user gets from `make install` and from the .deb.
#  1. make install PREFIX=<scratch>: the binary runs, `man -M` finds tracer-explain, the bash,
#     zsh and fish completions are where those shells look; make uninstall leaves no file.
#  2. The .deb in a scratch dpkg root (dpkg --root: its own status database, nothing of this
#     machine's touched): it installs, its tracer runs (--version, and on the demo capture),
#     `man -l` reads a page, and dpkg -r removes every file it put there.
set -euo pipefail
deb=${1:?usage: install-check.sh tracer_VERSION_ARCH.deb}
cd "$(dirname "$0")/../.."
scratch=$(mktemp -d /tmp/tracer-install-check.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "install-check: FAILED: $*" >&2; exit 1; }

echo "== make install PREFIX=$scratch/prefix"
make --no-print-directory install PREFIX="$scratch/prefix" >/dev/null
p=$scratch/prefix
grep -q "Explain what the Linux kernel does" <<< "$("$p/bin/tracer" --help)" || fail "$p/bin/tracer --help"
grep -q "tracer explain" <<< "$(MANPAGER=cat MANWIDTH=80 man -M "$p/share/man" tracer-explain 2>/dev/null)" || fail "man -M $p/share/man tracer-explain"
for c in share/bash-completion/completions/tracer share/zsh/site-functions/_tracer share/fish/vendor_completions.d/tracer.fish; do
    [ -s "$p/$c" ] || fail "no completion script $p/$c"
done
grep -q "_tracer" "$p/share/bash-completion/completions/tracer" || fail "the bash completion defines no _tracer"
bash -c "source '$p/share/bash-completion/completions/tracer' && complete -p tracer" >/dev/null || fail "bash: complete -p tracer"
if [ "${INSTALL_BUILD:-release}" = release ]; then
    if grep -q libswiftCore <<< "$(ldd "$p/bin/tracer")"; then fail "the installed binary needs Swift's runtime (not linked statically)"; fi
    runtime="no Swift runtime needed"
else
    runtime="the debug build (make install-check checks the release one's static Swift runtime)"
fi
echo "   tracer --help, man -M … tracer-explain, 3 completion scripts, $runtime: ok"
make --no-print-directory uninstall PREFIX="$p" >/dev/null
left=$(find "$p" -type f | wc -l)
[ "$left" = 0 ] || fail "make uninstall left $left files: $(find "$p" -type f | head -3)"
echo "   make uninstall: no file left: ok"

echo "== $deb in a scratch dpkg root"
root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status"
# Each output is read whole before grep looks at it: `CMD | grep -q` under pipefail fails when
# grep's early exit makes CMD die of SIGPIPE (seen: dpkg-deb --info in a fresh-clone CI run).
info=$(dpkg-deb --info "$deb")
grep -q "Depends: libpcap0.8" <<< "$info" || fail "the package does not depend on libpcap0.8"
grep -q "Depends: .*libjemalloc2" <<< "$info" || fail "the package does not depend on libjemalloc2 (the binary's malloc)"
# The scratch root has no libpcap0.8 or libjemalloc2 of its own (this machine's are used to run it): --force-depends.
dpkg --root="$root" --log=/dev/null --force-depends --force-not-root -i "$deb" >/dev/null 2>&1 || fail "dpkg -i"
grep -q "Status: install ok installed" <<< "$(dpkg --root="$root" -s tracer)" || fail "dpkg -s tracer: not installed"
grep -q "^tracer " <<< "$("$root/usr/bin/tracer" --version)" || fail "tracer --version"
grep -q "verdict" <<< "$("$root/usr/bin/tracer" explain Fixtures/captures/netns-sll2.pcap --host Fixtures/hosts/netns-h -c 1)" || fail "tracer explain"
grep -q -- "--format" <<< "$(MANPAGER=cat MANWIDTH=80 man -l "$root/usr/share/man/man1/tracer-explain.1.gz" 2>/dev/null)" || fail "man -l tracer-explain.1.gz"
echo "   dpkg -i, tracer --version $("$root/usr/bin/tracer" --version | cut -d' ' -f2), explain, man -l tracer-explain.1.gz: ok"
dpkg --root="$root" --log=/dev/null --force-not-root -r tracer >/dev/null 2>&1 || fail "dpkg -r"
left=$( (find "$root/usr" -type f 2>/dev/null || true) | wc -l)
[ "$left" = 0 ] || fail "dpkg -r left $left files: $(find "$root/usr" -type f | head -3)"
echo "   dpkg -r: no file left: ok"
