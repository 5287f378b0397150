// The model's kernel: one host, one profile, and the state that lives across frames (neighbour
// table). Each received frame runs through the driver's receive path and ends in a FrameReport.
//
//   driver (e1000 NAPI | veth backlog)
//     └─ __netif_receive_skb_one_core ─ __netif_receive_skb_core → ptype: ip_rcv | arp_rcv
//          ip_rcv → ip_rcv_core → NF_HOOK(PRE_ROUTING) → ip_rcv_finish → ip_rcv_finish_core
//             → ip_route_input_noref → dst_input: ip_local_deliver | ip_forward | ip_error
import HostModel
import Wire

public final class Kernel {
    public let host: Host
    public let profile: Profile
    /// struct net: the namespace's state, by subsystem (include/net/net_namespace.h).
    let net: Net

    // The tables the kernel keeps once, for every namespace, each with its subsystem's code.
    /// arp_tbl (net/ipv4/arp.c): IPv4 neighbours per device, seeded from the snapshot.
    let arpTbl = NeighTable<IPv4Address>()
    /// nd_tbl (net/ipv6/ndisc.c): IPv6 neighbours per device, seeded from the snapshot.
    let ndTbl = NeighTable<IPv6Address>()
    /// tcp_hashinfo (net/ipv4/tcp_ipv4.c).
    let tcpHashinfo = InetHashinfo()
    /// ICMP errors the global limit's mean draw sent though another could have held them back,
    /// and held back though another could have sent them (6.18's random credit spend).
    var icmpGlobalUncertain = (maySend: 0, mayHold: 0)
    /// driver(of:)'s last answer and the snapshot's driver name it was for.
    private var lastDriver: (name: String?, kind: DriverKind)?
    /// icmp_global_allow's words for a message it held back (the sysctls are the host's, fixed for
    /// the run: made once, at the first).
    lazy var icmpGlobalHeldWords: (held: String, maySend: String) = {
        let s = net.ipv4.sysctl
        let held = "not sent: the global ICMP limit (icmp_msgs_per_sec \(s.icmpMsgsPerSec), burst \(s.icmpMsgsBurst)) had no credit"
        return (held, held + " (may have been sent: 6.18 spends a random 0–2 credits per message)")
    }()
    /// ICMPv6 errors counted Icmp6OutRateLimitHost because icmpv6_xrlim_allow found no route
    /// back, not for want of a token.
    var icmp6NoRouteHeld = 0
    /// softnet_data (net/core/dev.c): the receive softirq's queue, on the capture's clock.
    let softnet = SoftnetData()
    /// virtio_net devices' receive queues (struct receive_queue, in the device's private data).
    let virtnet = VirtnetReceiveQueues()
    /// The static key rps_needed: some receive queue steers (rps_cpus), or
    /// net.core.rps_sock_flow_entries made RFS's table. Global, as the key is.
    let rpsNeeded: Bool
    /// The CPU time each received packet costs the softirq (--service-time): a capture does not
    /// show it. 0: never queued.
    public var serviceTime = 1e-6
    /// The softirq queue's clock: seconds since the first frame's whole second (see `receive`).
    var queueNow: Double = 0
    var queueClockBase: Int64?
    /// udp_table (net/ipv4/udp.c).
    let udpTable = UDPTable()
    /// ping_table (net/ipv4/ping.c).
    let pingTable = PingTable()
    /// raw_v4_hashinfo (net/ipv4/raw.c).
    let rawV4Hashinfo = RawHashinfo()
    /// raw_v6_hashinfo (net/ipv6/raw.c): the protocols of the raw IPv6 sockets the host's sends opened.
    var rawV6Protocols: Set<UInt8> = []

    // The tool's instruments, made empty for each frame.
    /// (A `let`: read at every modelled call, a `var` class reference costs a retain and a release each time.)
    let trace: CallTrace
    /// This frame's increments of the SNMP MIBs (net->mib), by counter.
    var counters = Counters()
    /// What the frame did: emitted frames, hook passes, FIB lookups, skb ends, timers.
    let record = FrameRecord()
    /// The last stacks `visible` filtered, and what it kept of them.
    let visibleMemo = Recent<[String], [String]>()
    /// The last live stacks visibleStack() was asked for (by function ids) and its answers.
    let visibleStackMemo = Recent<(ids: [UInt16], context: [String]), [String]>()
    /// The capture's clock: the timestamp of the frame being processed, in seconds.
    var now: Double = 0
    /// How applications read their UDP sockets, by port (--reader); a port not named reads at
    /// once unless the snapshot shows data waiting on it.
    public var readers: [UInt16: ReaderPolicy] = [:]
    /// How far the caller has seen the kernel's time for this frame: timers due by then fire
    /// in its report (nil: every timer the frame arms; `tracer verify` gives the end of the
    /// frame's trace window, the rest fire with a later frame).
    var horizon: Double = .infinity
    /// Whole stacks, the path and the words of each end are kept (backtraces, JSON, verify);
    /// totals need none of them.
    public var recordsStacks = true {
        didSet { trace.recordsPath = recordsStacks }
    }

    // The packet in flight: what the kernel keeps in its skb, its control block and the
    // sending socket while one frame is processed.
    /// The frag_list length of the reassembled skb being processed (0 for any other skb).
    var currentFragmentsMerged = 0
    /// The input route of the frame being processed (what skb_dst would hold).
    var currentRoute: InputRoute?
    var currentRoute6: Route6?
    /// The conntrack entry attached to the frame's own skb, and to the packet the host is
    /// sending (between LOCAL_OUT and POST_ROUTING): skb->_nfct.
    var frameCT: CTAttachment?
    var outputCT: CTAttachment?
    /// The bytes the nat hook rewrote for a packet on its way out (ip_output picks them up).
    var natRewritten: [UInt8]?
    /// The output route of the packet being sent (replay).
    var outputRoute: InputRoute?
    /// The interface the capture shows the packet being sent leave by (`transmit`'s leftBy).
    var capturedDevice: Interface?
    /// True while a packet the host's applications send is processed (`transmit`).
    var transmitting = false
    /// Set while the host makes a packet of its own (see `emitting`).
    var emittingPacket: String?
    /// A `ct` expression was evaluated for an IPv6 packet (IPv6 conntrack is not modelled).
    var unmodelledIPv6Conntrack = false
    /// Fragments of a datagram the host sends, gathered until the datagram is whole (replay).
    var txFragments = TxFragments()
    var txFragments6 = TxFragments6()

    /// net.ipv4.ip_default_ttl.
    var defaultTTL: UInt8 { net.ipv4.sysctl.defaultTTL }

    public init(host: Host, profile: Profile) {
        self.host = host
        self.profile = profile
        trace = CallTrace()
        trace.setInlining(profile.inlineTable, byName: { profile.isInlined($0.name, into: $1?.name) })
        net = Net(host: host)
        rpsNeeded = host.interfaces.contains { $0.rpsCPUs != nil } || (host.sysctls.int("net.core.rps_sock_flow_entries") ?? 0) > 0
        udpTable.waitingPorts = ReaderPolicy.waitingPorts(host)
        udpTable.connected = host.sockets.filter { $0.protocolKind == .udp && $0.state == "ESTAB" && $0.remoteAddress != nil }
        net.nf.hooks = NFHook.allCases.map { hookEntries($0) }
        net.nf.hooks6 = NFHook.allCases.map { hookEntries($0, family: .ip6) }
        for s in host.sockets where s.protocolKind == .tcp && s.state == "ESTAB" {
            if case .v4(let l)? = s.localAddress, case .v4(let r)? = s.remoteAddress, let rp = s.remotePort {
                tcpHashinfo.connections[TCPKey(peer: r, peerPort: rp, local: l, localPort: s.localPort)] = TCPConnection(
                    state: .established, rcvNxt: nil, mss: 1460, rcvWscale: 7, timestamps: true, listener: "ss")
            }
        }
        for n in host.neighbours where n.isValid {
            if case .v4(let a) = n.address, let mac = n.mac {
                // An entry the host resolved has carried traffic (its link header is cached); a
                // permanent one may never have (as `tracer verify` installs them).
                let state = NUDState(snapshot: n.states)
                arpTbl[NeighbourKey(device: n.device, address: a)] = NeighbourEntry(mac: mac, state: state, hhCached: state != .permanent && state != .noarp)
            } else if case .v6(let a) = n.address, let mac = n.mac {
                ndTbl[NDKey(device: n.device, address: a)] = NeighbourEntry(mac: mac, state: NUDState(snapshot: n.states))
            }
        }
    }

    /// The driver a frame on `iface` enters through: one the user named, else the snapshot's,
    /// else the profile's default (veth).
    func driver(of iface: Interface) -> DriverKind {
        if profile.driverIsExplicit { return profile.driver }
        // The last answer again for the same driver name (a capture's frames mostly arrive on
        // one interface; the name's string switch each frame cost more than the rest).
        if let last = lastDriver, last.name == iface.driver { return last.kind }
        let k = snapshotDriver(of: iface)
        lastDriver = (iface.driver, k)
        return k
    }

    private func snapshotDriver(of iface: Interface) -> DriverKind {
        // virtio_net is not modelled for 5.4: such an interface takes the profile's driver, as
        // one of a driver the model does not know does.
        if let d = iface.driver, let k = DriverKind(rawValue: d), !(k == .virtio_net && profile.kernel == .v5_4) { return k }
        return profile.driver
    }

    /// Runs one received frame through the model. `pktType` is what the capture recorded (SLL),
    /// else eth_type_trans decides from the destination MAC.
    /// `uncaptured`: how many bytes at the end a snap length cut off (`frame` is padded with
    /// zeros to the wire length): checksums over them are not verified.
    /// `timestamp`: the capture's (seconds, nanoseconds), for the softirq's queue clock: an
    /// epoch time in a Double keeps only about half a microsecond, too coarse for a flood's gaps.
    public func receive(frame: [UInt8], linkType: LinkType, iface: Interface, time: Double = 0, breakpoint: String? = nil,
                        uncaptured: Int = 0, horizon: Double? = nil, timestamp: (seconds: Int64, nanoseconds: Int64)? = nil) -> FrameReport {
        let timerEnds = beginFrame(time: time, breakpoint: breakpoint, horizon: horizon)
        if let ts = timestamp {
            let base = queueClockBase ?? ts.seconds
            queueClockBase = base
            queueNow = Double(ts.seconds - base) + Double(ts.nanoseconds) / 1e9
        } else {
            queueNow = time
        }
        let drv = driver(of: iface)
        let skb = frame.withUnsafeBytes { bytes -> SKB? in
            guard case .success(let link) = LinkFrame.decode(bytes, as: linkType) else { return nil }
            let pktType = link.packetType ?? eth_type_trans(link.ethernet, dev: iface)
            let skb = SKB(frame: frame, networkOffset: link.networkOffset, dev: iface, pktType: pktType, proto: link.networkProtocol)
            skb.uncaptured = uncaptured
            skb.tappedOnHost = link.packetType != nil
            skb.truesize = Kernel.rxTruesize(driver: drv, kernel: profile.kernel, frameLength: frame.count, networkLength: frame.count - link.networkOffset, mtu: iface.mtu)
            skb.headFrag = Kernel.rxHeadIsPageFragment(driver: drv, kernel: profile.kernel, mtu: iface.mtu)
            skb.vlanTagged = link.ethernet?.outerTag != nil
            skb.vlanID = link.ethernet?.outerTag?.vid ?? 0
            return skb
        }
        var routeSeen: InputRoute? = nil
        if let skb {
            switch drv {
            case .veth: veth_xmit(skb)
            case .e1000: e1000_clean(skb)
            case .virtio_net: virtnet_poll(skb)
            }
            routeSeen = skb.dst
        } else {
            record.end = (Verdict(action: .error, reason: nil, function: "",
                           detail: "shorter than its link-layer header: no driver hands such a frame to the stack; not modelled"), [])
        }
        return finishFrame(route: routeSeen, iface: iface.name, timerEnds: timerEnds)
    }

    /// Resets the per-frame state, runs the timers due by `time`, and returns the skb ends they
    /// caused (reported with the frame).
    func beginFrame(time: Double, breakpoint: String?, horizon: Double? = nil) -> [SkbEnd] {
        trace.reset(breakpoint: breakpoint)
        counters.removeAll()
        record.reset()
        emittingPacket = nil
        transmitting = false
        outputRoute = nil
        unmodelledIPv6Conntrack = false
        for t in net.ct.unconfirmed where net.ct.hash[t]?.confirmed == false { ct_destroy(t) }   // died with its skb
        net.ct.unconfirmed = []
        frameCT = nil
        outputCT = nil
        now = time
        self.horizon = horizon ?? .infinity
        inet_frags_expire()
        tcp_delack_timers(until: time, beforeFrame: true)
        // (Taken only when there are some: the list's storage, emptied above, stays for the
        // frame's own ends.)
        var timerEnds: [SkbEnd] = []
        if !record.ends.isEmpty { timerEnds = record.ends; record.ends = [] }
        record.end = nil
        return timerEnds
    }

    func finishFrame(route: InputRoute?, iface: String, timerEnds: [SkbEnd]) -> FrameReport {
        tcp_retransmit_timers()
        tcp_delack_timers(until: horizon, beforeFrame: false)
        var e = record.end ?? (Verdict(action: .queue, reason: nil, function: trace.lastEntered ?? "?", detail: "no end recorded"), [])
        if unmodelledIPv6Conntrack {
            // What a ct rule decides for IPv6 would be a guess: said so, not given.
            e = (Verdict(action: .error, reason: nil, function: "nft_do_chain",
                         detail: "a `ct` rule was evaluated for this IPv6 packet, and IPv6 conntrack is not modelled yet: its verdict is not given"), [])
        }
        var report = FrameReport(verdict: e.verdict, route: route, netfilter: record.hooks, emitted: record.emitted, counters: counters,
                                 path: trace.path, fib: record.fib, breakStack: trace.breakStack.map(visible), endStack: e.stack,
                                 socket: record.socket, iface: iface)
        report.ends = timerEnds.isEmpty ? record.ends : timerEnds + record.ends   // (an empty + copies)
        report.fragment = record.fragment
        report.timers = record.timers
        return report
    }

    /// eth_type_trans: the packet type from the destination MAC (net/ethernet/eth.c).
    func eth_type_trans(_ eth: EthernetFrame?, dev: Interface) -> PacketType {
        guard let eth else { return .host }
        let dst = eth.destination
        if dst.isMulticast { return dst.isBroadcast ? .broadcast : .multicast }
        if let mac = dev.mac, dst != mac { return .otherHost }
        return .host
    }

    // MARK: - ends of an skb's life

    /// kfree_skb_reason: the drop, its reason, and the location the kernel would report (the
    /// innermost live frame that is not inlined). `tail` marks a drop that is the caller's last
    /// act (a tail call), so the caller's own frame is already gone.
    func kfree_skb_reason(_ reason: String, detail: @autoclosure () -> String) {
        recordEnd(.drop, reason: profile.hasDropReasons ? profile.dropReason(reason) : nil, detail: detail(), entry: .drop)
        releaseFragList()
    }

    func consume_skb(_ action: VerdictAction, detail: @autoclosure () -> String) {
        recordEnd(action, reason: nil, detail: detail(), entry: .consume)
    }

    /// __kfree_skb: freed without the skb:kfree_skb/consume_skb tracepoints (TCP's own frees).
    func __kfree_skb(_ action: VerdictAction, detail: @autoclosure () -> String) {
        recordEnd(action, reason: nil, detail: detail(), entry: .untraced)
        record.end?.verdict.traced = false
    }

    /// The skb was handed on (queued to a socket, transmitted): its life goes on elsewhere.
    func handedOff(_ action: VerdictAction, function: String, detail: @autoclosure () -> String) {
        guard record.end == nil else { return }
        record.end = (Verdict(action: action, reason: nil, function: function, detail: recordsStacks ? detail() : ""), recordsStacks ? visibleStack() : [])
    }

    /// How an skb's life ends: kfree_skb_reason (sk_skb_reason_drop since 6.11), consume_skb,
    /// or __kfree_skb (no tracepoint). (An enum: comparing the names was a tenth of a drop's cost.)
    enum EndEntry { case drop, consume, untraced }

    private func recordEnd(_ action: VerdictAction, reason: String?, detail: @autoclosure () -> String, entry kind: EndEntry) {
        // Totals need only the location: the innermost frame the kernel's stack would show (no
        // stack made: two arrays a drop).
        let stack = recordsStacks ? visibleStack() : []
        let location = recordsStacks ? stack.first ?? "?" : innermostVisible() ?? "?"
        let entry = kind == .drop ? profile.dropEntry : kind == .consume ? "consume_skb" : "__kfree_skb"
        let shown = !recordsStacks ? [] : profile.backtraceStyle == .kernelStack ? [entry] + stack : stack
        if kind != .untraced {
            record.ends.append(SkbEnd(event: kind == .consume ? "consume_skb" : "kfree_skb", reason: reason, location: location, stack: shown))
        }
        guard record.end == nil else { return }
        var words = ""
        if recordsStacks {
            words = detail()
            if let held = record.icmpSuppressed { words += " — "; words += held }
        }
        record.end = (Verdict(action: action, reason: reason, function: location, detail: words), shown)
    }

    /// A reassembled datagram takes its fragment list with it: skb_release_data's
    /// kfree_skb_list, kfree_skb NOT_SPECIFIED for each.
    func releaseFragList() {
        for _ in 0..<currentFragmentsMerged { sideEnd("kfree_skb", reason: "NOT_SPECIFIED", location: "skb_release_data") }
        currentFragmentsMerged = 0
    }

    /// An skb that ends on the side (a fragment merged into its datagram, a purged queue, the
    /// fragment list of a freed datagram): listed in `ends`, not the frame's verdict.
    func sideEnd(_ event: String, reason: String?, location: String? = nil) {
        let innermost = location != nil ? nil : recordsStacks ? visibleStack().first : innermostVisible()
        record.ends.append(SkbEnd(event: event, reason: event == "kfree_skb" && profile.hasDropReasons ? reason.map(profile.dropReason) : nil,
                           location: location ?? innermost ?? "?", stack: []))
    }

    /// The live stack as this profile's backtraces show it: the kernel's own stack traces leave
    /// out inlined functions; gdb shows them.
    /// Frames of one kind end on the same few stacks: the last answers are kept, keyed on the
    /// live stack's function ids (matched in place: no stack of names built for a known one).
    func visibleStack() -> [String] {
        if let v = visibleStackMemo.value(where: trace.stackMatches) { return v }
        let v = visible(trace.liveStack())
        visibleStackMemo.remember(trace.stackKey(), v)
        return v
    }

    /// The first entry of visibleStack(), without building the rest.
    func innermostVisible() -> String? {
        guard profile.backtraceStyle != .gdb else { return trace.liveStack().first }
        if let f = trace.innermostNotInlined() { return f.name }
        let context = Array(trace.context.reversed())
        let inlined = profile.inlinedFrames(context)
        for i in context.indices where !inlined[i] { return context[i] }
        return nil
    }

    func visible(_ stack: [String]) -> [String] {
        guard profile.backtraceStyle != .gdb else { return stack }
        // Frames of one kind end on the same few stacks: the last answers are kept.
        return visibleMemo.value(for: stack) { stack in
            let inlined = profile.inlinedFrames(stack)
            return stack.indices.filter { !inlined[$0] }.map { stack[$0] }
        }
    }
}

extension Kernel {
    /// Runs `body` with its trace, FIB lookups and route record thrown away: for decisions the
    /// model must make that the kernel does not (which address a socket was bound to).
    func untraced<T>(_ body: () -> T) -> T {
        let (lookups, route) = (record.fib, outputRoute)
        defer { record.fib = lookups; outputRoute = route }
        return trace.muted(body)
    }
}
