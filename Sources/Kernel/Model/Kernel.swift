// The model's kernel: one host, one profile, and the state that lives across frames (neighbour
// table). Each received frame runs through the driver's receive path and ends in a FrameReport.
//
//   driver (e1000 NAPI | veth backlog)
//     └─ __netif_receive_skb_one_core ─ __netif_receive_skb_core → ptype: ip_rcv | arp_rcv
//          ip_rcv → ip_rcv_core → NF_HOOK(PRE_ROUTING) → ip_rcv_finish → ip_rcv_finish_core
//             → ip_route_input_noref → dst_input: ip_local_deliver | ip_forward | ip_error
import DequeModule
import HostModel
import Wire

public final class Kernel {
    public let host: Host
    public let profile: Profile
    /// The neighbour table (IPv4 → entry per device), seeded from the snapshot, updated by ARP
    /// and by the host's own sends (net/core/neighbour.c).
    var neighbours: [NeighbourKey: NeighbourEntry] = [:]
    /// Entries made INCOMPLETE by an ARP request the capture shows the host sending: the packet
    /// waiting on them is in the capture (sent after the reply), not in the model's arp_queue.
    var neighbourAwaitingCapture: Set<NeighbourKey> = []
    /// Route exceptions (the PMTUs learned from ICMP fragmentation-needed), by destination.
    var pmtuExceptions: [IPv4Address: PMTUException] = [:]
    /// UDP sockets the host's own sends opened (replay), so ICMP errors about them find a socket.
    var sendingSockets: Set<SocketKey> = []
    /// Ping sockets (SOCK_DGRAM, IPPROTO_ICMP) the host's echo requests came from, by echo id.
    var pingSockets: Set<UInt16> = []
    /// Raw sockets the host's own sends opened, by protocol (an ICMP socket: ping without ping
    /// sockets); each takes a copy of what arrives for its protocol (raw_local_deliver).
    var rawSendingProtocols: Set<UInt8> = []
    /// Fragments of a datagram the host sends, gathered until the datagram is whole (replay).
    var txFragments = TxFragments()
    /// TCP connections and request sockets, from handshakes seen and the snapshot's ESTAB sockets.
    var tcpConnections: [TCPKey: TCPConnection] = [:]
    /// Connections whose delayed-ACK timer is armed (tcp_delack_timers).
    var delackPending: [TCPKey] = []
    /// How far the caller has seen the kernel's time for this frame: timers due by then fire
    /// in its report (nil: every timer the frame arms; `tracer verify` gives the end of the
    /// frame's trace window, the rest fire with a later frame).
    var horizon: Double = .infinity

    // Per-frame state, reset by `receive`.
    var trace: CallTrace
    /// The last stacks `visible` filtered, and what it kept of them.
    var visibleMemo: [(stack: [String], visible: [String])] = []
    var visibleMemoNext = 0
    var counters = Counters()
    var emitted: [EmittedFrame] = []
    var hooks: [HookPass] = []
    var fibLookups: [FIBLookup] = []
    /// The routing tables, indexed once per host.
    let fib: FIBIndex
    var end: (verdict: Verdict, stack: [String])?
    var ends: [SkbEnd] = []
    var fragmentReport: FragmentReport?
    var timerEvents: [String] = []
    /// The capture's clock: the timestamp of the frame being processed, in seconds.
    var now: Double = 0
    /// IPv4 reassembly queues (net/ipv4/ip_fragment.c), with the memory they hold.
    var fragQueues: [FragKey: FragQueue] = [:]
    var fragMemory = 0
    var fragTimers: Deque<(created: Double, key: FragKey)> = []
    /// The frag_list length of the reassembled skb being processed (0 for any other skb).
    var currentFragmentsMerged = 0
    /// inet_peer rid counters: fragments seen per source (ipfrag_max_dist).
    var peerRID: [IPv4Address: UInt32] = [:]
    var socketDescription: String?
    /// The input route of the frame being processed (what skb_dst would hold).
    var currentRoute: InputRoute?
    /// The output route of the packet being sent (replay).
    var outputRoute: InputRoute?
    /// The interface the capture shows the packet being sent leave by (`transmit`'s leftBy).
    var capturedDevice: Interface?
    /// True while a packet the host's applications send is processed (`transmit`).
    var transmitting = false
    /// TCP routes cached on the sending sockets (sk_dst_cache), by connection.
    var tcpSendRoutes: [TCPKey: OutputRoute] = [:]
    /// Set while the host makes a packet of its own (see `emitting`).
    var emittingPacket: String?
    /// Whole stacks, the path and the words of each end are kept (backtraces, JSON, verify);
    /// totals need none of them.
    public var recordsStacks = true {
        didSet { trace.recordsPath = recordsStacks }
    }
    /// Conntrack (net/netfilter/nf_conntrack_core.c): loaded when the ruleset needs it; the
    /// confirmed connections by original tuple, and the new ones of the packet in flight.
    let conntrackEnabled: Bool
    /// A nat chain exists: the nat hooks are registered (nf_nat_ipv4_ops).
    let natEnabled: Bool
    /// Each hook's registered functions (the hook_head lists), by hook.
    lazy var hookHeads: [[NFHookEntry]] = NFHook.allCases.map { hookEntries($0) }
    /// The rule runs of every chain (by table, then chain), indexed once per host.
    lazy var nftRuns: [[NFTRuleRuns]] = host.ruleset.tables.map { $0.chains.map { NFTRuleRuns($0.rules) } }
    var conntrack: [CTTuple: CTEntry] = [:]
    /// Reply tuples (after NAT) → the connection's original tuple.
    var ctReplies: [CTTuple: CTTuple] = [:]
    /// Entries made for the packets of this frame, not yet confirmed.
    var ctPending: [CTTuple] = []
    /// The conntrack entry attached to the frame's own skb, and to the packet the host is
    /// sending (between LOCAL_OUT and POST_ROUTING).
    var frameCT: CTAttachment?
    var outputCT: CTAttachment?
    /// The bytes the nat hook rewrote for a packet on its way out (ip_output picks them up).
    var natRewritten: [UInt8]?

    struct NeighbourKey: Hashable { let device: String; let address: IPv4Address }

    /// The per-interface IPv4 settings the receive path reads on every frame, worked out once
    /// per host (IN_DEV_* of the device and `all`), by interface index.
    struct DeviceConf {
        var rpFilter: Int, acceptLocal: Bool, acceptSourceRoute: Bool, routeLocalnet: Bool, forwarding: Bool

        init(_ s: Sysctls, device: String) {
            rpFilter = s.ipv4Conf("rp_filter", device: device)
            acceptLocal = s.ipv4Conf("accept_local", device: device) != 0
            acceptSourceRoute = s.ipv4Conf("accept_source_route", device: device) != 0
            routeLocalnet = s.ipv4Conf("route_localnet", device: device) != 0
            forwarding = s.forwarding(device: device)
        }
    }
    /// By interface index (slot 0 and gaps hold nil).
    let deviceConf: [DeviceConf?]
    /// net.ipv4.ip_default_ttl.
    var defaultTTL: UInt8 { sysctl.defaultTTL }

    func conf(_ dev: Interface) -> DeviceConf {
        dev.index >= 0 && dev.index < deviceConf.count ? deviceConf[dev.index] ?? DeviceConf(host.sysctls, device: dev.name)
            : DeviceConf(host.sysctls, device: dev.name)
    }

    /// The sysctls the receive and send paths read on every frame, read once per host.
    struct FrameSysctls {
        let icmpEchoIgnoreAll: Bool, icmpEchoIgnoreBroadcasts: Bool, noPMTUDisc: Bool
        let ipfragTime: Double, ipfragHighThresh: Int, ipfragMaxDist: UInt32
        let minPMTU: Int, mtuExpires: Int, defaultTTL: UInt8

        init(_ s: Sysctls) {
            icmpEchoIgnoreAll = (s.int("net.ipv4.icmp_echo_ignore_all") ?? 0) != 0
            icmpEchoIgnoreBroadcasts = (s.int("net.ipv4.icmp_echo_ignore_broadcasts") ?? 1) != 0
            noPMTUDisc = (s.int("net.ipv4.ip_no_pmtu_disc") ?? 0) != 0
            ipfragTime = Double(s.int("net.ipv4.ipfrag_time") ?? 30)
            ipfragHighThresh = s.int("net.ipv4.ipfrag_high_thresh") ?? 4_194_304
            ipfragMaxDist = UInt32(clamping: s.int("net.ipv4.ipfrag_max_dist") ?? 64)
            minPMTU = s.int("net.ipv4.route.min_pmtu") ?? 552
            mtuExpires = s.int("net.ipv4.route.mtu_expires") ?? 600
            defaultTTL = UInt8(clamping: s.int("net.ipv4.ip_default_ttl") ?? 64)
        }
    }
    let sysctl: FrameSysctls

    public init(host: Host, profile: Profile) {
        self.host = host
        self.profile = profile
        trace = CallTrace()
        trace.isInlined = { profile.isInlined($0, into: $1) }
        fib = FIBIndex(host.routes, rules: host.rules, interfaces: host.interfaces)
        conntrackEnabled = host.ruleset.usesConntrack
        var confs = [DeviceConf?](repeating: nil, count: min(4096, (host.interfaces.map(\.index).max() ?? 0) + 1))
        for i in host.interfaces where i.index >= 0 && i.index < confs.count && confs[i.index] == nil { confs[i.index] = DeviceConf(host.sysctls, device: i.name) }
        deviceConf = confs
        sysctl = FrameSysctls(host.sysctls)
        natEnabled = host.ruleset.tables.contains { ($0.family == .ip || $0.family == .inet) && $0.chains.contains { $0.base?.type == "nat" } }
        for s in host.sockets where s.protocolKind == .tcp && s.state == "ESTAB" {
            if case .v4(let l)? = s.localAddress, case .v4(let r)? = s.remoteAddress, let rp = s.remotePort {
                tcpConnections[TCPKey(peer: r, peerPort: rp, local: l, localPort: s.localPort)] = TCPConnection(
                    state: .established, rcvNxt: nil, mss: 1460, rcvWscale: 7, timestamps: true, listener: "ss")
            }
        }
        for n in host.neighbours where n.isValid {
            if case .v4(let a) = n.address, let mac = n.mac {
                neighbours[NeighbourKey(device: n.device, address: a)] = NeighbourEntry(mac: mac, state: NUDState(snapshot: n.states))
            }
        }
    }

    /// The driver a frame on `iface` enters through: the snapshot's, else the profile's.
    func driver(of iface: Interface) -> DriverKind {
        if let d = iface.driver, let k = DriverKind(rawValue: d) { return k }
        return profile.driver
    }

    /// Runs one received frame through the model. `pktType` is what the capture recorded (SLL),
    /// else eth_type_trans decides from the destination MAC.
    /// `uncaptured`: how many bytes at the end a snap length cut off (`frame` is padded with
    /// zeros to the wire length): checksums over them are not verified.
    public func receive(frame: [UInt8], linkType: LinkType, iface: Interface, time: Double = 0, breakpoint: String? = nil,
                        uncaptured: Int = 0, horizon: Double? = nil) -> FrameReport {
        let timerEnds = beginFrame(time: time, breakpoint: breakpoint, horizon: horizon)
        let skb = frame.withUnsafeBytes { bytes -> SKB? in
            guard case .success(let link) = LinkFrame.decode(bytes, as: linkType) else { return nil }
            let pktType = link.packetType ?? eth_type_trans(link.ethernet, dev: iface)
            let skb = SKB(frame: frame, networkOffset: link.networkOffset, dev: iface, pktType: pktType, proto: link.networkProtocol)
            skb.uncaptured = uncaptured
            skb.vlanTagged = link.ethernet?.outerTag != nil
            skb.vlanID = link.ethernet?.outerTag?.vid ?? 0
            return skb
        }
        var routeSeen: InputRoute? = nil
        if let skb {
            switch driver(of: iface) {
            case .veth: veth_xmit(skb)
            case .e1000: e1000_clean(skb)
            }
            routeSeen = skb.dst
        } else {
            end = (Verdict(action: .error, reason: nil, function: "",
                           detail: "shorter than its link-layer header: no driver hands such a frame to the stack; not modelled"), [])
        }
        return finishFrame(route: routeSeen, iface: iface.name, timerEnds: timerEnds)
    }

    /// Resets the per-frame state, runs the timers due by `time`, and returns the skb ends they
    /// caused (reported with the frame).
    func beginFrame(time: Double, breakpoint: String?, horizon: Double? = nil) -> [SkbEnd] {
        // The per-frame lists are emptied keeping their storage: once the caller has dropped the
        // last report, the next frame appends without allocating (while a report still holds a
        // list, emptying it makes a new one and the report keeps its own).
        trace.reset(breakpoint: breakpoint)
        counters.removeAll()
        emitted.removeAll(keepingCapacity: true)
        hooks.removeAll(keepingCapacity: true)
        fibLookups.removeAll(keepingCapacity: true)
        end = nil
        socketDescription = nil
        emittingPacket = nil
        transmitting = false
        outputRoute = nil
        ends.removeAll(keepingCapacity: true)
        fragmentReport = nil
        timerEvents.removeAll(keepingCapacity: true)
        for t in ctPending where conntrack[t]?.confirmed == false { ct_destroy(t) }   // died with its skb
        ctPending = []
        frameCT = nil
        outputCT = nil
        now = time
        self.horizon = horizon ?? .infinity
        inet_frags_expire()
        tcp_delack_timers(until: time, beforeFrame: true)
        let timerEnds = ends
        ends = []
        end = nil
        return timerEnds
    }

    func finishFrame(route: InputRoute?, iface: String, timerEnds: [SkbEnd]) -> FrameReport {
        tcp_delack_timers(until: horizon, beforeFrame: false)
        let e = end ?? (Verdict(action: .queue, reason: nil, function: trace.lastEntered ?? "?", detail: "no end recorded"), [])
        var report = FrameReport(verdict: e.verdict, route: route, netfilter: hooks, emitted: emitted, counters: counters,
                                 path: trace.path, fib: fibLookups, breakStack: trace.breakStack.map(visible), endStack: e.stack,
                                 socket: socketDescription, iface: iface)
        report.ends = timerEnds + ends
        report.fragment = fragmentReport
        report.timers = timerEvents
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
        recordEnd(.drop, reason: profile.hasDropReasons ? reason : nil, detail: detail(), entry: "sk_skb_reason_drop")
        // A reassembled datagram takes its fragment list with it (skb_release_data).
        for _ in 0..<currentFragmentsMerged { sideEnd("kfree_skb", reason: "NOT_SPECIFIED", location: "skb_release_data") }
        currentFragmentsMerged = 0
    }

    func consume_skb(_ action: VerdictAction, detail: @autoclosure () -> String) {
        recordEnd(action, reason: nil, detail: detail(), entry: "consume_skb")
    }

    /// __kfree_skb: freed without the skb:kfree_skb/consume_skb tracepoints (TCP's own frees).
    func __kfree_skb(_ action: VerdictAction, detail: @autoclosure () -> String) {
        recordEnd(action, reason: nil, detail: detail(), entry: "__kfree_skb")
        end?.verdict.traced = false
    }

    /// The skb was handed on (queued to a socket, transmitted): its life goes on elsewhere.
    func handedOff(_ action: VerdictAction, function: String, detail: @autoclosure () -> String) {
        guard end == nil else { return }
        end = (Verdict(action: action, reason: nil, function: function, detail: recordsStacks ? detail() : ""), recordsStacks ? visibleStack() : [])
    }

    private func recordEnd(_ action: VerdictAction, reason: String?, detail: @autoclosure () -> String, entry: String) {
        // Totals need only the location: the innermost frame the kernel's stack would show.
        let stack = recordsStacks ? visibleStack() : innermostVisible().map { [$0] } ?? []
        let location = stack.first ?? "?"
        let shown = profile.backtraceStyle == .kernelStack ? [entry] + stack : stack
        if entry != "__kfree_skb" {
            ends.append(SkbEnd(event: entry == "consume_skb" ? "consume_skb" : "kfree_skb", reason: reason, location: location, stack: shown))
        }
        guard end == nil else { return }
        end = (Verdict(action: action, reason: reason, function: location, detail: recordsStacks ? detail() : ""), shown)
    }

    /// An skb that ends on the side (a fragment merged into its datagram, a purged queue, the
    /// fragment list of a freed datagram): listed in `ends`, not the frame's verdict.
    func sideEnd(_ event: String, reason: String?, location: String? = nil) {
        let stack = location != nil ? [] : recordsStacks ? visibleStack() : innermostVisible().map { [$0] } ?? []
        ends.append(SkbEnd(event: event, reason: event == "kfree_skb" && profile.hasDropReasons ? reason : nil,
                           location: location ?? stack.first ?? "?", stack: []))
    }

    /// The live stack as this profile's backtraces show it: the kernel's own stack traces leave
    /// out inlined functions; gdb shows them.
    func visibleStack() -> [String] { visible(trace.liveStack()) }

    /// The first entry of visibleStack(), without building the rest.
    func innermostVisible() -> String? {
        guard profile.backtraceStyle != .gdb else { return trace.liveStack().first }
        if let f = trace.innermostNotInlined() { return f.name }
        let context = Array(trace.context.reversed())
        for i in context.indices where !profile.isInlined(context[i], into: i + 1 < context.count ? context[i + 1] : nil) { return context[i] }
        return nil
    }

    func visible(_ stack: [String]) -> [String] {
        guard profile.backtraceStyle != .gdb else { return stack }
        // Frames of one kind end on the same few stacks: the last answers are kept.
        for m in visibleMemo where m.stack == stack { return m.visible }
        let v = stack.indices.filter { i in !profile.isInlined(stack[i], into: i + 1 < stack.count ? stack[i + 1] : nil) }.map { stack[$0] }
        if visibleMemo.count < 16 { visibleMemo.append((stack, v)) } else { visibleMemo[visibleMemoNext] = (stack, v) }
        visibleMemoNext = (visibleMemoNext + 1) % 16
        return v
    }
}

extension Kernel {
    /// Runs `body` with its trace, FIB lookups and route record thrown away: for decisions the
    /// model must make that the kernel does not (which address a socket was bound to).
    func untraced<T>(_ body: () -> T) -> T {
        let (t, lookups, route) = (trace, fibLookups, outputRoute)
        trace = CallTrace()
        defer { trace = t; fibLookups = lookups; outputRoute = route }
        return body()
    }
}
