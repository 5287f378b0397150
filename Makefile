# tracer — build, test, demo. Every target installs what it needs on a fresh Debian machine.
SHELL := /bin/bash
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# System packages: libpcap to build; tcpdump/tshark (editcap) for the cross-check tests and the
# fixture converters; iproute2/nftables/iptables/ethtool/python3 for snapshots and the netns fixtures.
# graphviz draws the flow diagrams (--format dot, tracer report); man-db and dpkg for make install
# and make deb; chromium (headless) opens the report in the tests.
DEB_PACKAGES := libpcap-dev libjemalloc-dev pkg-config tcpdump tshark iproute2 nftables iptables ethtool python3 graphviz man-db dpkg
TEST_PACKAGES := chromium
TRACER := .build/debug/tracer

# make install: where (PREFIX) and under which staging root (DESTDIR, for packaging).
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := $(shell sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/TracerCLI/TracerCommand.swift)
ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
# The manual pages carry the date of the last commit (the same sources make the same pages).
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null || echo 2026-01-01)
SUBCOMMANDS := explain replay diff report verify snapshot host
STAGE := .build/stage

.PHONY: all deps test-deps build test oracle golden demo bench profile fixtures fixtures-netns kernel-source clean
.PHONY: release man completions install uninstall deb install-check vm-setup vm-smoke oracle-vm oracle-vm-virtio oracle-vm-tx vm-dbg vm-gdb

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

test-deps: deps
	@missing=$$(for p in $(TEST_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null || echo "test-deps: $$missing not installable: the tests that need it skip"; \
	fi

# The release binary, with Swift's runtime linked in: a machine without Swift runs it (it needs
# only libpcap and the C libraries). make bench builds the same one. INSTALL_BUILD=debug installs
# and packages the debug build instead: make test checks the installation that way, so that it
# need not make a second, five-minute build (make install-check alone checks the release one).
RELEASE := -c release --static-swift-stdlib
INSTALL_BUILD ?= release
BIN := .build/$(INSTALL_BUILD)/tracer
release: deps
	@if [ "$(INSTALL_BUILD)" = debug ]; then $(SWIFT) build --product tracer; else $(SWIFT) build $(RELEASE) --product tracer; fi

# The man pages: argument-parser's generate-manual — the tool its generate-manual plugin runs —
# over the release binary's own description of its commands (--experimental-dump-help), one page
# per subcommand, renamed git-style (tracer-explain.1). The tool is run directly rather than
# through `swift package plugin generate-manual` because the plugin insists on building every
# product again without --static-swift-stdlib, in the same .build/release, which would
# undo (and then redo) the binary above: two full release builds for one page set.

man: release
	$(SWIFT) build --product generate-manual
	rm -rf $(STAGE)/man $(STAGE)/man-src && mkdir -p $(STAGE)/man $(STAGE)/man-src
	.build/debug/generate-manual $(BIN) --multi-page --date $(MAN_DATE) --output-directory $(STAGE)/man-src
	@src=$(STAGE)/man-src; \
	cp $$src/tracer.1 $(STAGE)/man/tracer.1; \
	for c in $(SUBCOMMANDS); do \
		[ -f $$src/tracer.$$c.1 ] || { echo "man: no page for tracer $$c"; exit 1; }; \
		sed 's/^\.Dt TRACER\.\([A-Z]*\)/.Dt TRACER-\1/' $$src/tracer.$$c.1 > $(STAGE)/man/tracer-$$c.1; \
	done; \
	gzip -n -9 -f $(STAGE)/man/*.1

completions: release
	rm -rf $(STAGE)/completions && mkdir -p $(STAGE)/completions
	$(BIN) --generate-completion-script bash > $(STAGE)/completions/tracer.bash
	$(BIN) --generate-completion-script zsh > $(STAGE)/completions/_tracer
	$(BIN) --generate-completion-script fish > $(STAGE)/completions/tracer.fish

# The guest's side of `tracer verify --vm` (Fixtures/vm) goes to share/tracer/vm.
VM_SCRIPTS := check.sh tx-check.sh run-job.sh guest-job.py compare.py make-initramfs.sh sockets.c record.sh
INSTALLED := bin/tracer share/man/man1/tracer.1.gz $(foreach c,$(SUBCOMMANDS),share/man/man1/tracer-$(c).1.gz) \
	share/bash-completion/completions/tracer share/zsh/site-functions/_tracer share/fish/vendor_completions.d/tracer.fish \
	$(foreach f,$(VM_SCRIPTS),share/tracer/vm/$(f))
install: man completions
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/tracer
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(STAGE)/man/*.1.gz $(DESTDIR)$(PREFIX)/share/man/man1/
	install -D -m 644 $(STAGE)/completions/tracer.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/tracer
	install -D -m 644 $(STAGE)/completions/_tracer $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tracer
	install -D -m 644 $(STAGE)/completions/tracer.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tracer.fish
	install -d $(DESTDIR)$(PREFIX)/share/tracer/vm
	install -m 644 $(addprefix Fixtures/vm/,$(VM_SCRIPTS)) $(DESTDIR)$(PREFIX)/share/tracer/vm/
	@echo "installed tracer $(VERSION) under $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(foreach f,$(INSTALLED),$(DESTDIR)$(PREFIX)/$(f))
	rmdir $(DESTDIR)$(PREFIX)/share/tracer/vm $(DESTDIR)$(PREFIX)/share/tracer 2>/dev/null || true
	@echo "removed tracer from $(DESTDIR)$(PREFIX)"

# A Debian package of the same files under /usr, built with dpkg-deb; installs with
# apt-get install ./tracer_VERSION_ARCH.deb (which pulls libpcap0.8 and libjemalloc2).
deb: man completions
	rm -rf $(STAGE)/deb
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(STAGE)/deb PREFIX=/usr >/dev/null
	install -D -m 644 README.md $(STAGE)/deb/usr/share/doc/tracer/README.md
	mkdir -p $(STAGE)/deb/DEBIAN
	{ echo "Package: tracer"; echo "Version: $(VERSION)"; echo "Architecture: $(ARCH)"; \
	  echo "Maintainer: tracer developers <tracer@localhost>"; \
	  echo "Depends: libpcap0.8 (>= 1.10), libjemalloc2, libc6 (>= 2.34), libstdc++6, libgcc-s1"; \
	  echo "Recommends: graphviz"; echo "Section: net"; echo "Priority: optional"; \
	  echo "Installed-Size: $$(du -sk $(STAGE)/deb/usr | cut -f1)"; \
	  echo "Description: explains what the Linux kernel does with every packet in a capture"; \
	  echo " tracer reads a pcap/pcapng capture and follows each frame through a model of the"; \
	  echo " Linux kernel's receive and transmit paths: netfilter hooks, routing, drop reasons,"; \
	  echo " replies and SNMP counters."; } > $(STAGE)/deb/DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build $(STAGE)/deb tracer_$(VERSION)_$(ARCH).deb

# The package in a scratch dpkg root: installs, its tracer runs, man reads its page, and it
# removes leaving no file behind (Fixtures/scripts/install-check.sh).
install-check: deb
	INSTALL_BUILD=$(INSTALL_BUILD) bash Fixtures/scripts/install-check.sh tracer_$(VERSION)_$(ARCH).deb

test: deps test-deps kernel-source
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest
	@$(MAKE) --no-print-directory install-check INSTALL_BUILD=debug
	@$(MAKE) --no-print-directory oracle

# The model against the live kernel (tracer verify) on every receive- and transmit-path fixture,
# with a conformance table per host snapshot (a case's NAME.host names its snapshot; netns-h when
# there is none). Needs root and tracefs; says why it skipped where they are missing.
ORACLE_CASES := Fixtures/rx/*.pcap Fixtures/tx/*.pcap
# Real captures of real programs (Fixtures/scripts/capture-wild.sh), live-played on the snapshot
# of the host they were taken on: TCP conversations with the kernel's own ISNs and clocks, the
# router's LINUX_SLL2 capture on both interfaces, the NAT router's un-NATed ICMP errors.
# Each as CAPTURE:SNAPSHOT (netns-sll2 was taken where the netns-h snapshot was; wild-server-raw
# and -sll are wild-server without link headers and with LINUX_SLL ones, by scripts/relink.py;
# netns6-eth is the dual-stack capture of scripts/capture-netns6.sh: ND, ping -6, UDP, TCP;
# netns-mcast, of scripts/derive-hosts.sh: a socket's IGMP join and leave, datagrams to its group).
ORACLE_CAPTURES := wild-client:wild-client wild-server:wild-server wild-server-raw:wild-server wild-server-sll:wild-server wild-router:wild-router nat-client:nat-client nat-server:nat-server nat-router:nat-router netns-sll2:netns-h netns6-eth:netns-h6 netns-mcast:netns-h-mcast udp-flood:udp-flood
oracle: build
	@if [ "$$(id -u)" != 0 ]; then echo "oracle: skipped: tracer verify needs root (network namespaces, tracefs)"; exit 0; fi; \
	if [ ! -d /sys/kernel/tracing/events/skb ] && ! mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then \
		echo "oracle: skipped: no tracefs at /sys/kernel/tracing"; exit 0; fi; \
	for h in $$(for p in $(ORACLE_CASES); do f=$${p%.pcap}.host; [ -f $$f ] && cat $$f || echo netns-h; done | sort -u); do \
		caps=$$(for p in $(ORACLE_CASES); do f=$${p%.pcap}.host; c=netns-h; [ -f $$f ] && c=$$(cat $$f); [ "$$c" = "$$h" ] && echo $$p; done); \
		echo "== oracle: host Fixtures/hosts/$$h"; \
		$(TRACER) verify --retries 1 $$caps --host Fixtures/hosts/$$h || exit 1; \
	done; \
	echo "== oracle: sockets with IP_MTU_DISCOVER / IPV6_MTU_DISCOVER do (EMSGSIZE, no fragments)"; \
	$(TRACER) verify --retries 1 --pmtudisc do Fixtures/tx/udp-3000.pcap --host Fixtures/hosts/netns-h || exit 1; \
	$(TRACER) verify --retries 1 --pmtudisc do Fixtures/tx/ipv6-udp-3000.pcap --host Fixtures/hosts/netns-h6 || exit 1; \
	for ch in $(ORACLE_CAPTURES); do c=$${ch%%:*}; h=$${ch##*:}; \
		echo "== oracle: Fixtures/captures/$$c.pcap on its snapshot Fixtures/hosts/$$h"; \
		$(TRACER) verify --retries 1 Fixtures/captures/$$c.pcap --host Fixtures/hosts/$$h || exit 1; \
	done

# The kernel trees KernelSourceTests holds path[].file and the backtraces' lines to (Debian's
# linux-source packages; only the parts the model's functions live in are unpacked, ~30 s each).
# The table they check is written from them by Fixtures/scripts/kfunc-sources.py (universal-ctags).
KERNEL_TREES := 6.12 6.1
KERNEL_TREE_PARTS := Makefile net include drivers/net/veth.c drivers/net/virtio_net.c drivers/net/ethernet/intel/e1000 kernel arch/x86/entry arch/x86/kernel fs
kernel-source:
	@for v in $(KERNEL_TREES); do d=/usr/src/linux-source-$$v; \
		[ -f $$d/net/ipv4/ip_input.c ] && [ -f $$d/drivers/net/virtio_net.c ] && continue; \
		if [ "$$(id -u)" != 0 ]; then echo "kernel-source: skipped $$d: unpacking it needs root"; continue; fi; \
		dpkg-query -W -f='$${Status}\n' linux-source-$$v 2>/dev/null | grep -q '^install ok installed' || \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-source-$$v >/dev/null; } || \
			{ echo "kernel-source: skipped $$d: linux-source-$$v is not installable here"; continue; }; \
		echo "kernel-source: unpacking the networking part of $$d.tar.xz"; \
		tar -C /usr/src -xJf $$d.tar.xz $$(for p in $(KERNEL_TREE_PARTS); do echo linux-source-$$v/$$p; done) || exit 1; \
	done

# Rewrites Fixtures/golden/*.out from the current build. Read every changed line before committing.
golden: deps
	$(SWIFT) build --build-tests
	TRACER_UPDATE_GOLDEN=1 $(SWIFT) test --skip-build --disable-xctest --filter GoldenTests
	@git --no-pager diff --stat -- Fixtures/golden || true

demo: build
	@echo; echo "== the host the demo capture was taken on (a snapshot of a network namespace)"
	$(TRACER) host --host Fixtures/hosts/netns-h
	@echo; echo "== its traffic: ping, UDP to an open and a closed port, TCP to a listener and a closed port"
	$(TRACER) explain Fixtures/captures/netns-sll2.pcap --host Fixtures/hosts/netns-h
	@echo; echo "== the same, only TCP, as JSON"
	$(TRACER) explain Fixtures/captures/netns-sll2.pcap tcp --host Fixtures/hosts/netns-h --format json -c 3

# Issue 19 (opt-in, root): Debian's 6.1 kernel under qemu's TCG, one e1000 per snapshot interface,
# each on a tap in a namespace of ours, a busybox initramfs with iproute2, nft and a listener
# (Fixtures/vm/make-initramfs.sh). Fixtures/vm/check.sh makes the guest the fixture's host
# (guest-job.py), sends the capture in frame by frame (run-job.sh) with the function_graph
# tracer on, and sets `tracer explain --kernel 6.1 --driver e1000` beside it field by field:
# drops with reason and function, counters, the frames sent back, and the call path
# (compare.py). The kernel and busybox-static packages are downloaded (apt-get download) and
# unpacked under .build/vm, not installed. About 10 s to boot, then 1.5 s a frame.
VM_DIR := .build/vm
# The fixtures oracle-vm checks (their snapshots as Fixtures/rx/NAME.host names, else netns-h).
# compare.py gives the model each frame at the time the guest took it (inject.log: 1.5 s apart or
# more), not the capture's. Not those whose point rests on the capture's clock, then: the guest
# takes a frame every second or so, and frag-too-far's 26 frames (frag-timeout's 30 s wait) would
# outlive the reassembly timer.
# Not ipv6-icmp-ratelimit-burst either (its burst is 1 ms apart; the guest's token bucket refills
# between frames: model and guest agree that nothing is limited, which says nothing of the limit).
# On the e1000 (only) not forward-redirect nor frag-forward-smaller-mtu: there the redirect and
# the forwarded packet (the second fragment) leave back to back, and the e1000's queue may defer
# the second to net_tx_action (outside the traced softirq) — the queue's state, which no capture
# shows (on 2026-12-07 forward-redirect agreed there once, frag-forward-smaller-mtu did not); on
# virtio_net both agree (two runs of two). Nor nft-stateful-fragments there: its forwarded
# datagram leaves as two fragments, and the second waits in that queue too (three runs of three
# on 2026-12-07; on virtio_net it agrees).
VM_FIXTURES_NOT_e1000 := nft-stateful-fragments forward-redirect frag-forward-smaller-mtu
VM_FIXTURES ?= udp-delivered udp-closed-port udp-bad-checksum tcp-syn-listener tcp-handshake-data-fin \
	tcp-syn-closed-port tcp-syn-then-rst tcp-syn-then-rst-in-window tcp-syn-then-rst-out-of-window \
	tcp-syn-then-new-syn tcp-syn-then-bad-ack tcp-ack-to-listener forward forward-ttl-1 forward-df-too-big \
	forward-off forward-redirect-off frag-in-order frag-out-of-order frag-duplicate frag-overlap frag-closed-port frag-19-closed-port \
	nft-stateful-fragments nft-drop \
	nft-reject-icmp nft-reject-tcp-reset nft-tcp-flags nft-forward nft-jump-return nft-named-set \
	nft-prerouting-raw nft-stateful icmp-echo icmp-timestamp icmp-timestamp-short arp-request-for-us \
	arp-request-for-other broadcast other-host-mac unicast-in-l2-broadcast unicast-in-l2-broadcast-drop \
	unicast-in-l2-multicast mcast-unjoined mcast-joined ip-bad-checksum ip-bad-ihl ip-bad-version ip-option-malformed \
	ip-option-record-route ip-option-source-route ip-total-length-beyond-frame unknown-protocol \
	martian-source route-unreachable route-blackhole route-prohibit policy-rule-table-100 rp-filter-spoofed-source \
	ipv6-echo-global ipv6-echo-link-local ipv6-echo-to-all-nodes ipv6-forward ipv6-forward-hop-limit-1 \
	ipv6-frag-atomic ipv6-frag-in-order ipv6-frag-not-multiple-of-8 ipv6-frag-out-of-order \
	ipv6-frag-overlap ipv6-hop-by-hop ipv6-hop-by-hop-unknown-option ipv6-host-echo \
	ipv6-host-forward-off ipv6-host-ns-for-us ipv6-host-ra ipv6-host-rs ipv6-icmp-bad-checksum \
	ipv6-mld-query ipv6-multicast-not-joined ipv6-na-unsolicited ipv6-nft-inet-drop \
	ipv6-nft-ip6-reject ipv6-ns-dad-for-us ipv6-ns-for-other ipv6-ns-for-us ipv6-ns-hop-limit \
	ipv6-ra-to-router ipv6-route-blackhole ipv6-route-prohibit ipv6-route-unreachable \
	ipv6-routing-header-done ipv6-routing-header-type0 ipv6-rs-to-router ipv6-segment-routing-off \
	ipv6-tcp-ack-to-listener ipv6-tcp-syn-closed-port ipv6-tcp-syn-listener ipv6-tcp-syn-retransmitted \
	ipv6-tcp-syn-then-new-syn ipv6-tcp-syn-then-rst ipv6-tcp-syn-then-rst-in-window ipv6-truncated \
	ipv6-udp-closed-port ipv6-udp-delivered ipv6-udp-zero-checksum ipv6-unknown-next-header \
	ipt-drop ipt-forward ipt-jump-return ipt-named-set ipt-prerouting-raw ipt-reject-icmp ipt-reject-tcp-reset \
	ipt-tcp-flags igmp-query igmp-report-other mcast-joined-no-socket nft-nat unicast-in-l2-multicast-drop \
	rps-udp-delivered rps-udp-closed-port rps-tcp-syn-listener rps-arp-request-for-us tcp-no-early-demux \
	udp-connected ipv6-udp-connected udp-rcvbuf-full udp-rcvbuf-read forward-redirect frag-forward-smaller-mtu
vm-setup: build
	@[ "$$(id -u)" = 0 ] || { echo "vm: skipped: needs root (a network namespace and taps)"; exit 0; }; \
	command -v qemu-system-x86_64 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 >/dev/null; }; \
	mkdir -p $(VM_DIR) && cd $(VM_DIR) && \
	if [ ! -d kernel/boot ]; then \
		pkg=$$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $$2; exit}'); \
		apt-get download $$pkg busybox-static >/dev/null && dpkg-deb -x $${pkg}_*.deb kernel && dpkg-deb -x busybox-static_*.deb busybox; \
	fi; cd - >/dev/null; \
	BUSYBOX=$(VM_DIR)/busybox/bin/busybox bash Fixtures/vm/make-initramfs.sh $(VM_DIR)/kernel $(VM_DIR)/base.cpio.gz

# One boot: a UDP datagram to an open and one to a closed port, the guest's console shown.
vm-smoke: vm-setup
	@[ "$$(id -u)" = 0 ] || exit 0; \
	python3 -c "import sys; a=open('Fixtures/rx/udp-delivered.pcap','rb').read(); b=open('Fixtures/rx/udp-closed-port.pcap','rb').read(); open('$(VM_DIR)/udp2.pcap','wb').write(a+b[24:])"; \
	bash Fixtures/vm/check.sh $(VM_DIR) $(TRACER) $(VM_DIR)/udp2.pcap Fixtures/hosts/netns-h $(VM_DIR)/out --graph

# Every VM_FIXTURES capture through its own boot; the tables in $(VM_DIR)/oracle/NAME.txt, a
# summary line each, and a failure if any field disagrees. VM_RECORD=1 keeps each agreeing run
# in Fixtures/vm/recorded (Fixtures/vm/record.sh), which VMRecordTests replays in `make test`.
# VM_DRIVER=virtio_net: the guest's NICs are qemu's virtio-net-pci instead (make oracle-vm-virtio;
# tables in $(VM_DIR)/oracle-virtio_net, records in Fixtures/vm/recorded-virtio_net).
VM_DRIVER ?= e1000
VM_ORACLE_DIR = $(VM_DIR)/oracle$(if $(filter e1000,$(VM_DRIVER)),,-$(VM_DRIVER))
oracle-vm: vm-setup
	@[ "$$(id -u)" = 0 ] || exit 0; \
	mkdir -p $(VM_ORACLE_DIR); fail=0; \
	for c in $(filter-out $(VM_FIXTURES_NOT_$(VM_DRIVER)),$(VM_FIXTURES)); do \
		h=netns-h; [ -f Fixtures/rx/$$c.host ] && h=$$(cat Fixtures/rx/$$c.host); \
		if DRIVER=$(VM_DRIVER) bash Fixtures/vm/check.sh $(VM_DIR) $(TRACER) Fixtures/rx/$$c.pcap Fixtures/hosts/$$h $(VM_ORACLE_DIR)/$$c --graph > $(VM_ORACLE_DIR)/$$c.txt 2>&1; \
		then echo "agree    $$c: $$(tail -1 $(VM_ORACLE_DIR)/$$c.txt)"; [ -z "$(VM_RECORD)" ] || bash Fixtures/vm/record.sh $(VM_ORACLE_DIR)/$$c $$c $(VM_DRIVER); \
		else echo "DISAGREE $$c: $$(tail -1 $(VM_ORACLE_DIR)/$$c.txt)"; grep -v '^agree' $(VM_ORACLE_DIR)/$$c.txt | head -8; fail=1; fi; \
	done; exit $$fail

# The same fixtures with virtio_net NICs in the guest.
oracle-vm-virtio:
	@$(MAKE) --no-print-directory oracle-vm VM_DRIVER=virtio_net

# The transmit side (Fixtures/vm/tx-check.sh): each VM_TX_FIXTURES capture's sends made by a
# program in the guest, the peer's frames sent in where the capture has them (each send's
# function_graph record against `tracer replay --tx`: drops, counters, the frames that left, the
# send's path; each peer frame's explanation), on the e1000 and on virtio_net (VM_RECORD=1: kept
# in Fixtures/vm/recorded-tx/DRIVER-NAME for VMRecordTests). Its snapshot as
# Fixtures/tx/NAME.host names, else netns-h. What the guest's sender sends: UDP over IPv4 and
# IPv6, ping's ICMP and ICMPv6 echo (its raw socket), IPv4 IP_HDRINCL, each from one socket per
# source (a server's answer from its listener's port too), every send once before the first frame
# and again on its cue (a datagram "cue!…" whichever socket reads it; the sockets read what else
# comes, as programs do); and a TCP connect's SYN,
# the capture's answers from the peer injected after it (each moved onto the ISN and clock the
# guest drew; the connect's frames paced back to back: its SYN goes again after a second; the
# peer's answer a connect sends nothing more for: tcp-connect-send-fin's data and FIN need a
# SYN-ACK its capture does not show, as on the 6.18 host).
# A send whose next hop the snapshot has STALE (seed-udp, ipv6-ping-link-local), unresolved or
# not at all (udp-unknown-neighbour, ipv6-ping-unresolved) is made first on its cue (no send
# before: it would start the neighbour's DELAY/PROBE/FAILED timers), with the snapshot's STALE
# neighbours installed STALE (tx-check.sh's settled()).
# On the e1000 not the fragmented sends (udp-3000, ipv6-udp-3000, and the last send of
# udp-pmtu-learned and ipv6-udp-pmtu-learned, cut to the learned path MTU): its qdisc may send
# the first fragment and leave the others to net_tx_action, outside the sendto (the NIC queue's
# state again, as forward-redirect's on the e1000 in VM_FIXTURES; in one run of each of the first two, one
# agreed and one did not).
VM_TX_FIXTURES ?= udp-small udp-3000 udp-no-route udp-output-dropped \
	ipv6-udp-small ipv6-udp-3000 ipv6-udp-output-dropped ipv6-udp-unreachable-route ipv6-udp-via-eth1 \
	icmp-echo ipv6-ping raw-ip \
	tcp-connect-synack tcp-connect-refused tcp-connect-synack-paws tcp-connect-synack-bad-ack tcp-connect-send-fin \
	udp-route-errors udp-policy-mtu udp-pmtu-learned ipv6-udp-pmtu-learned \
	udp-query-answered icmp-echo-answered udp-port-unreachable-answer udp-server-answers \
	seed-udp ipv6-ping-link-local udp-unknown-neighbour ipv6-ping-unresolved
VM_TX_FIXTURES_e1000 ?= $(filter-out udp-3000 ipv6-udp-3000 udp-pmtu-learned ipv6-udp-pmtu-learned,$(VM_TX_FIXTURES))
VM_TX_FIXTURES_virtio_net ?= $(VM_TX_FIXTURES)
oracle-vm-tx: vm-setup
	@[ "$$(id -u)" = 0 ] || exit 0; \
	mkdir -p $(VM_DIR)/oracle-tx; fail=0; \
	for d in e1000 virtio_net; do \
		case $$d in e1000) list="$(VM_TX_FIXTURES_e1000)" ;; *) list="$(VM_TX_FIXTURES_virtio_net)" ;; esac; \
		for c in $$list; do \
		h=netns-h; [ -f Fixtures/tx/$$c.host ] && h=$$(cat Fixtures/tx/$$c.host); \
		if DRIVER=$$d bash Fixtures/vm/tx-check.sh $(VM_DIR) $(TRACER) Fixtures/tx/$$c.pcap Fixtures/hosts/$$h $(VM_DIR)/oracle-tx/$$d-$$c > $(VM_DIR)/oracle-tx/$$d-$$c.txt 2>&1; \
		then echo "agree    $$d $$c: $$(tail -1 $(VM_DIR)/oracle-tx/$$d-$$c.txt)"; [ -z "$(VM_RECORD)" ] || bash Fixtures/vm/record.sh $(VM_DIR)/oracle-tx/$$d-$$c $$c tx-$$d; \
		else echo "DISAGREE $$d $$c: $$(tail -1 $(VM_DIR)/oracle-tx/$$d-$$c.txt)"; grep -v '^agree' $(VM_DIR)/oracle-tx/$$d-$$c.txt | head -8; fail=1; fi; \
	done; done; exit $$fail

# The seed notes' gdb session on the 6.1 guest: `b FUNCTION` / `bt` for a UDP datagram arriving
# on the e1000 (taken up as a list; and steered by RPS to the backlog, where ip_rcv runs) and for
# a sendto (Fixtures/vm/gdb-bt.sh), each stop set beside `tracer ... --format bt --break FUNCTION`
# frame for frame with lines (gdb-compare.py); the result is Fixtures/vm/gdb/comparison.txt, the
# gdb sessions Fixtures/vm/gdb/{rx,rx-rps,rx-rps-poll,tx}.gdb.log. vm-dbg
# downloads linux-image-<abi>-amd64-dbg (about 860 MB, 5.6 GB unpacked; only vmlinux and
# the NICs' e1000.ko and virtio_net.ko are kept, 640 MB): opt-in, never part of `make test`.
vm-dbg: vm-setup
	@[ "$$(id -u)" = 0 ] || exit 0; \
	command -v gdb >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdb >/dev/null; }; \
	cd $(VM_DIR) && kver=$$(ls kernel/lib/modules | head -1) && \
	if [ ! -f dbg/usr/lib/debug/boot/vmlinux-$$kver ] || [ ! -f dbg/usr/lib/debug/lib/modules/$$kver/kernel/drivers/net/virtio_net.ko ]; then \
		apt-get download linux-image-$$kver-dbg >/dev/null && mkdir -p dbg && \
		dpkg-deb --fsys-tarfile linux-image-$$kver-dbg_*.deb | tar -x -C dbg --wildcards './usr/lib/debug/boot/vmlinux-*' \
			'./usr/lib/debug/lib/modules/*/kernel/drivers/net/ethernet/intel/e1000/e1000.ko' \
			'./usr/lib/debug/lib/modules/*/kernel/drivers/net/virtio_net.ko' && rm -f linux-image-$$kver-dbg_*.deb; \
	fi

vm-gdb: vm-dbg
	@[ "$$(id -u)" = 0 ] || { echo "vm-gdb: skipped: needs root (a network namespace and taps)"; exit 0; }; \
	rm -rf $(VM_DIR)/gdb; bash Fixtures/vm/gdb-bt.sh $(VM_DIR) $(TRACER) $(VM_DIR)/gdb; rc=$$?; \
	mkdir -p Fixtures/vm/gdb && cp $(VM_DIR)/gdb/comparison.txt Fixtures/vm/gdb/ && \
	for c in rx rx-rps rx-rps-poll rx-virtio tx; do cp $(VM_DIR)/gdb/$$c/gdb.log Fixtures/vm/gdb/$$c.gdb.log; done; exit $$rc

# Speed: tracer against the libpcap read floor, tcpdump and tshark on a generated capture of
# BENCH_FRAMES frames (release build), plus a scale run (100,000 routes, 1,000 nftables rules,
# a 100,000-element set). Table on stdout,
# bench-out/bench.json for later comparison.
BENCH_FRAMES ?= 1000000
bench: deps
	$(SWIFT) build $(RELEASE) --product tracer
	$(SWIFT) build $(RELEASE) --product make-fixtures
	mkdir -p bench-out
	cc -O2 -o bench-out/pcap_floor bench/pcap_floor.c -lpcap
	.build/release/make-fixtures --bench bench-out/bench.pcap $(BENCH_FRAMES)
	python3 bench/run.py bench-out/bench.pcap $(BENCH_FRAMES) 3

# Where the time goes: callgrind over 1 and over PROFILE_FRAMES frames of the bench capture, for
# --stats and for --format json; the difference per frame, by function (inclusive), so start-up
# drops out (bench/profile.py). The raw profiles stay in bench-out/ for callgrind_annotate or
# kcachegrind. Needs the capture from `make bench` (BENCH_FRAMES=100000 is enough).
PROFILE_FRAMES ?= 5000
profile: deps
	command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind >/dev/null; }
	$(SWIFT) build $(RELEASE) --product tracer
	test -f bench-out/bench.pcap || { echo "make profile: run make bench (or BENCH_FRAMES=100000 make bench) first"; exit 1; }
	for mode in stats json; do \
		flag=$$( [ $$mode = stats ] && echo --stats || echo "--format json" ); \
		for n in 1 $(PROFILE_FRAMES); do \
			valgrind --tool=callgrind --callgrind-out-file=bench-out/callgrind.$$mode.$$n .build/release/tracer explain bench-out/bench.pcap \
				-c $$n --host default $$flag > /dev/null 2> bench-out/callgrind.$$mode.$$n.log || exit 1; \
		done; \
		echo "== explain $$flag"; \
		python3 bench/profile.py bench-out/callgrind.$$mode.1 bench-out/callgrind.$$mode.$(PROFILE_FRAMES) $(PROFILE_FRAMES) 40; \
	done

# Regenerates the synthetic captures from the builders (make-fixtures), then the pcapng and
# microsecond variants with Wireshark's editcap.
fixtures: deps
	$(SWIFT) build --product make-fixtures
	.build/debug/make-fixtures Fixtures/captures
	editcap -F pcapng Fixtures/captures/ethernet.pcap Fixtures/captures/ethernet.pcapng
	editcap -F pcap Fixtures/captures/ethernet.pcap Fixtures/captures/ethernet-usec.pcap

# Re-captures the real-kernel fixtures in network namespaces (root), then the ruleset hosts
# made from netns-h (Fixtures/rulesets/*).
fixtures-netns: build
	Fixtures/scripts/capture-netns.sh $(TRACER)
	Fixtures/scripts/nft-hosts.sh

clean:
	rm -rf .build tracer_*.deb
