// net/ipv4/tcp_input.c — the parts of TCP the receive model follows across a capture (request
// sockets are tcp_minisocks.swift's): the connection's state, data and FIN on an
// established connection, and the ACKs the kernel sends for them. Modelled: 6.18 (checked: the
// handshake, the first data segment's quick ACK, a FIN acknowledged by the delayed-ACK timer);
// 5.4 takes the same path. The host's sequence space starts at 0 (the kernel's ISN is random).
import HostModel
import Wire

/// A sent skb in the retransmit queue: [start, end) of the sequence space, its segments, their size.
struct SentSKB { var start: UInt32, end: UInt32, segments: Int, mss: Int }

/// One connection the model knows: made by a handshake seen in the capture, or ESTAB in ss.
struct TCPConnection {
    enum State: String {
        case synSent = "SYN_SENT", synRecv = "SYN_RECV", established = "ESTABLISHED", closeWait = "CLOSE_WAIT"
        case finWait1 = "FIN_WAIT1", finWait2 = "FIN_WAIT2", lastAck = "LAST_ACK", closing = "CLOSING", timeWait = "TIME_WAIT"
        /// tcp_done: the socket is gone (the model forgets the connection).
        case closed = "CLOSE"
    }
    var state: State
    /// The next sequence number expected from the peer (nil when unknown: a snapshot socket).
    var rcvNxt: UInt32?
    /// Our next sequence number (ISN 0 + SYN).
    var sndNxt: UInt32 = 1
    var mss: Int
    var rcvWscale: UInt8
    var timestamps: Bool
    var peerTSval: UInt32 = 0
    var unreadBytes = 0
    var dataSegments = 0
    var listener: String
    /// sk->sk_rx_dst: the input route early demux reuses (set when the handshake completes).
    var rxRoute: InputRoute?
    /// The SYN-ACK a request socket sent (inet_rtx_syn_ack sends it again).
    var synack: TCPHeader?
    /// tcp_rsk(req)->last_oow_ack_time: when the request socket last answered a segment out of
    /// its window (tcp_oow_rate_limited, tcp_invalid_ratelimit).
    var lastOOWAck: Double?
    /// The receive window the host offered in its SYN (an active open's; nil: the initial window
    /// of a SYN-ACK, tcp_select_initial_window).
    var rcvWnd: Int?
    /// The SYN the host sent (connect()), for the retransmit timer.
    var syn: OutgoingPacket?
    /// The TSval of the host's SYN and when it was sent (retrans_stamp): a SYN-ACK must echo a
    /// time between then and now (tcp_rcv_synsent_state_process's PAWS check).
    var synTSval: UInt32?
    var synTime: Double = 0
    /// The ISN of a connection the host opened (its SYN's sequence number), for retransmissions.
    var isn: UInt32?
    /// The socket's cached output route (sk_dst_cache), set by the SYN-ACK.
    var txRoute: (dev: Interface, nextHop: IPv4Address, source: IPv4Address)?
    /// An IPv6 socket's (inet6_csk_route_req / inet6_csk_route_socket).
    var txRoute6: (route: Route6, source: IPv6Address)?
    /// An IPv6 socket's sk_rx_dst (tcp_v6_early_demux reuses it).
    var rxRoute6: Route6?

    // What the host has sent (the capture shows it): snd_una, and each skb not yet acknowledged,
    // with its segment count (tcp_skb_pcount: a TSO skb is several) and size (mss):
    // tcp_clean_rtx_queue counts the segments an ACK covers as TCPDelivered.
    var sndUna: UInt32?
    var unacked: [SentSKB] = []
    /// Header prediction is on (tp->pred_flags != 0): set when a passive open completes; an
    /// active open with window scaling starts without it; a window update turns it on
    /// (tcp_ack_update_window → tcp_fast_path_check).
    var fastPath = false
    /// The peer's window as the host last took it (snd_wnd, scaled by the peer's shift).
    var sndWnd: Int?
    var sndWscale: UInt8 = 0
    // The delayed-ACK engine (icsk_ack): quick ACKs left, ato (0: no data received yet), when
    // data last came, the pingpong count, whether an ACK is owed, rcv_mss and rcv_wup.
    var quick = 0
    var ato: Double = 0
    var lrcvtime: Double = 0
    var pingpong = 0
    var ackScheduled = false
    /// When the delayed-ACK timer fires (icsk_ack.timeout), while it is armed.
    var delackDue: Double?
    var rcvMss = 536
    var rcvWup: UInt32?
}


extension TCPConnection {
    /// The socket tcp_v4_connect leaves in SYN_SENT: its ISN and options are the SYN's, which the
    /// capture shows (the host chose them).
    init(connecting syn: [UInt8], route: OutputRoute, sentAt: Double) {
        var mss = route.dev.mtu - 40, wscale: UInt8 = 0, ts = false
        var seq: UInt32 = 0, window = 0, tsval: UInt32? = nil
        syn.withUnsafeBytes { b in
            guard let t = TCPSegment.parse(b).value else { return }
            seq = t.sequenceNumber
            window = Int(t.window)
            for o in t.options.value ?? [] {
                switch o {
                case .maxSegmentSize(let m): mss = Int(m)
                case .windowScale(let w): wscale = w
                case .timestamp(let v, _): ts = true; tsval = v
                default: break
                }
            }
        }
        self.init(state: .synSent, rcvNxt: nil, sndNxt: seq &+ 1, mss: mss, rcvWscale: wscale, timestamps: ts, listener: "connect()",
                  txRoute: (route.dev, route.nextHop, route.source))
        isn = seq
        rcvWnd = window
        synTSval = tsval
        synTime = sentAt
    }
}

/// A connection's four-tuple. An IPv6 connection's addresses are `peer6`/`local6` (its IPv4
/// ones 0.0.0.0): TCP's state machine is one for both families, only the layer below differs.
struct TCPKey: Hashable {
    let peer: IPv4Address, peerPort: UInt16, local: IPv4Address, localPort: UInt16
    var peer6: IPv6Address? = nil, local6: IPv6Address? = nil

    init(peer: IPv4Address, peerPort: UInt16, local: IPv4Address, localPort: UInt16) {
        self.peer = peer; self.peerPort = peerPort; self.local = local; self.localPort = localPort
    }

    init(v6 k: TCP6Key) {
        self.init(peer: .any, peerPort: k.peerPort, local: .any, localPort: k.localPort)
        peer6 = k.peer; local6 = k.local
    }

    var isV6: Bool { peer6 != nil }
    /// As `ss` writes the ends: a.b.c.d, or [v6].
    var peerText: String { peer6.map { "[\($0)]" } ?? peer.description }
    var localText: String { local6.map { "[\($0)]" } ?? local.description }
}

extension Kernel {
    /// 6.1's tcp_rcv_state_process on a listener, for a segment that is no SYN: it returns an int,
    /// so a RST or a flagless segment it drops itself (its discard: label, with `reason`: true,
    /// done); an ACK it returns to tcp_v4/v6_do_rcv, which resets and discards with NOT_SPECIFIED
    /// (`reason` becomes that; false). Both seen in the 6.1 guest, for IPv4 and IPv6. Later
    /// kernels leave `reason` to the caller.
    func tcp_rcv_state_process_listener(_ reason: inout String, flags: TCPFlags, listener name: String) -> Bool {
        guard profile.kernel == .v6_1 else { return false }
        if !flags.contains(.ack) {
            kfree_skb_reason(reason, detail: flags.contains(.rst) ? "RST to a listener: ignored" : "a segment without SYN, ACK or RST to \(name): dropped")
            return true
        }
        reason = "NOT_SPECIFIED"
        return false
    }
}

extension Kernel {
    /// The initial receive window in a SYN-ACK: 65535 rounded down to a multiple of the
    /// effective MSS (tcp_select_initial_window; 12 bytes less with timestamps).
    static func initialWindow(mss: Int, timestamps: Bool) -> UInt16 {
        let eff = mss - (timestamps ? 12 : 0)
        return UInt16((65535 / eff) * eff)
    }

    /// tcp_oow_rate_limited: at most one answer per tcp_invalid_ratelimit (500 ms) to segments
    /// out of the window; data without SYN is never limited (it is not an ACK loop).
    func tcp_oow_rate_limited(_ c: inout TCPConnection, counter: SNMPCounter, dataOrSyn: Bool) -> Bool {
        if dataOrSyn { return false }
        let limit = Double(net.ipv4.sysctl.tcpInvalidRatelimit) / 1000
        if let last = c.lastOOWAck, now - last >= 0, now - last < limit {
            counters.inc(counter)
            return true
        }
        c.lastOOWAck = now
        return false
    }


    /// A segment this host is seen sending in the capture: its SYN-ACK tells the ISN the kernel
    /// chose, so the peer's ACKs (which acknowledge that ISN) match, as they did on the wire.
    public func observeSent(frame: [UInt8], linkType: LinkType) {
        frame.withUnsafeBytes { b in
            let d = Dissection(b, linkType: linkType)
            guard case .tcp(let t)? = d.transport, t.flags.contains(.syn) && t.flags.contains(.ack) else { return }
            let key: TCPKey
            switch d.network {
            case .ipv4(let ip)?: key = TCPKey(peer: ip.destination, peerPort: t.destinationPort, local: ip.source, localPort: t.sourcePort)
            case .ipv6(let ip)?: key = TCPKey(v6: TCP6Key(peer: ip.destination, peerPort: t.destinationPort, local: ip.source, localPort: t.sourcePort))
            default: return
            }
            guard var c = tcpHashinfo.connections[key], c.state == .synRecv else { return }
            c.sndNxt = t.sequenceNumber &+ 1
            tcpHashinfo.connections[key] = c
        }
    }

    /// tcp_v4_early_demux: a segment for an established socket takes the socket's cached input
    /// route (sk->sk_rx_dst), so ip_rcv_finish_core makes no route lookup.
    func tcp_v4_early_demux(_ skb: SKB) -> Bool {
        let f = trace.enter(.tcp_v4_early_demux); defer { trace.leave(f) }
        let key: TCPKey? = skb.withIPv4 { ip in
            guard ip.protocolNumber == 6, ip.payload.count >= 4 else { return nil }
            return TCPKey(peer: ip.source, peerPort: ip.payload.u16(0), local: ip.destination, localPort: ip.payload.u16(2))
        }
        guard let key, let c = tcpHashinfo.connections[key], c.state != .synRecv, let route = c.rxRoute else { return false }
        skb.dst = route
        return true
    }

    /// A segment after the handshake: tcp_v4_do_rcv → tcp_rcv_established in ESTABLISHED (header
    /// prediction first: an in-order segment with just ACK, the window the host last took and
    /// the usual header length takes the fast path), tcp_rcv_state_process in the other states
    /// (tcp_ack, then the FIN_WAIT1 / CLOSING / LAST_ACK transitions an ACK of our FIN makes,
    /// then tcp_data_queue and tcp_fin). Freed with __kfree_skb (no tracepoint) once consumed.
    func tcp_rcv_established(_ skb: SKB, _ key: TCPKey, _ c: inout TCPConnection, seq: UInt32, ack: UInt32, window: UInt16,
                             headerLength: Int, flags: TCPFlags, dataLength: Int, tsval: UInt32?) {
        let established = c.state == .established
        let f = trace.enter(established ? .tcp_rcv_established : .tcp_rcv_state_process); defer { trace.leave(f) }
        if let v = tsval { c.peerTSval = v }
        var name = "tcp \(key.localText):\(key.localPort) ← \(key.peerText):\(key.peerPort) \(c.state.rawValue)"
        record.socket = name
        let pure = dataLength == 0 && !flags.contains(.fin)
        let predicted = established && c.fastPath && flags.subtracting(.psh) == .ack && c.sndWnd == Int(window) << Int(c.sndWscale)
            && headerLength == (c.timestamps ? 32 : 20) && c.rcvNxt == seq && (c.sndUna == nil || !seqAfter(ack, c.sndNxt))
        if predicted && dataLength == 0 {
            tcp_ack(&c, ack: ack, window: window, slowPath: false, pure: true)
            __kfree_skb(.consume, detail: "an ACK on \(name): nothing to queue (header prediction: the fast path)")
            return
        }
        // sk_forward_alloc is 0 until the first data is charged: that segment takes the slow path.
        if predicted && c.dataSegments > 0 {
            // Bulk data transfer, receiver: queued straight away.
            counters.inc(.TcpExtTCPHPHits)
            tcp_queue_data(&c, seq: seq, dataLength: dataLength)
            if ack != c.sndUna { tcp_ack(&c, ack: ack, window: window, slowPath: false, pure: false) }
            let acked = __tcp_ack_snd_check(key, &c)
            handedOff(.deliver, function: "tcp_rcv_established",
                      detail: "\(dataLength) bytes queued to \(name) (header prediction: the fast path), " + acked)
            return
        }
        tcp_ack(&c, ack: ack, window: window, slowPath: true, pure: pure)
        if let una = c.sndUna, una == c.sndNxt {
            // Our FIN is acknowledged.
            switch c.state {
            case .finWait1: c.state = .finWait2
            case .closing:
                tcp_time_wait(&c)
                __kfree_skb(.consume, detail: "the ACK of our FIN on \(name): TIME_WAIT")
                return
            case .lastAck:
                do { let d = trace.enter(.tcp_done); trace.leave(d) }
                c.state = .closed
                __kfree_skb(.consume, detail: "the ACK of our FIN on \(name): closed")
                return
            default: break
            }
        }
        if pure {
            __kfree_skb(.consume, detail: "an ACK on \(name): nothing to queue")
            return
        }
        let g = trace.enter(.tcp_data_queue); defer { trace.leave(g) }
        name = "tcp \(key.localText):\(key.localPort) ← \(key.peerText):\(key.peerPort) \(c.state.rawValue)"
        record.socket = name
        if dataLength > 0 { tcp_queue_data(&c, seq: seq, dataLength: dataLength) }
        var what = dataLength > 0 ? "\(dataLength) bytes" + (flags.contains(.fin) ? " and a FIN" : "") : "FIN"
        if flags.contains(.fin) {
            let h = trace.enter(.tcp_fin); defer { trace.leave(h) }
            c.rcvNxt = (c.rcvNxt ?? seq) &+ UInt32(dataLength) &+ 1
            if c.unreadBytes > 0 && dataLength == 0 { counters.inc(.TcpExtTCPRcvCoalesce) }
            c.ackScheduled = true
            switch c.state {
            case .established:
                c.state = .closeWait
                c.pingpong = max(c.pingpong, Self.pingpongThreshold)   // inet_csk_enter_pingpong_mode
                what += " queued to \(name): CLOSE_WAIT;"
            case .finWait1:
                tcp_send_ack(key, &c, why: "ACK of the FIN (simultaneous close)")
                c.state = .closing
                handedOff(.deliver, function: "tcp_data_queue", detail: "\(what) queued to \(name): CLOSING, ACK sent")
                return
            case .finWait2:
                tcp_send_ack(key, &c, why: "ACK of the FIN")
                tcp_time_wait(&c)
                handedOff(.deliver, function: "tcp_data_queue", detail: "\(what) queued to \(name): ACK sent, TIME_WAIT")
                return
            default:
                what += " (again) to \(name):"
            }
        } else {
            what += " queued to \(name),"
        }
        handedOff(.deliver, function: "tcp_data_queue", detail: what + " " + __tcp_ack_snd_check(key, &c))
    }

    static let pingpongThreshold = 1   // net.ipv4.tcp_pingpong_thresh

    /// tcp_queue_rcv (coalesced into the unread tail when there is one) and tcp_event_data_recv.
    func tcp_queue_data(_ c: inout TCPConnection, seq: UInt32, dataLength: Int) {
        c.dataSegments += 1
        c.rcvNxt = (c.rcvNxt ?? seq) &+ UInt32(dataLength)
        if c.unreadBytes > 0 { counters.inc(.TcpExtTCPRcvCoalesce) }
        c.unreadBytes += dataLength
        // tcp_event_data_recv: an ACK is owed; tcp_measure_rcv_mss; the first data starts the
        // delayed-ACK engine in quickack mode (tcp_incr_quickack: rcv_wnd / 2·rcv_mss, 2 to 16).
        c.ackScheduled = true
        if dataLength >= c.rcvMss { c.rcvMss = min(dataLength, c.mss) }
        let rcvWnd = c.rcvWnd ?? Int(Self.initialWindow(mss: c.mss, timestamps: c.timestamps))
        let quickacks = min(16, max(2, rcvWnd / (2 * c.rcvMss)))
        if c.ato == 0 {
            c.quick = max(c.quick, quickacks)
            c.ato = 0.040
        } else {
            let m = now - c.lrcvtime
            if m <= 0.020 { c.ato = c.ato / 2 + 0.020 }
            else if m < c.ato { c.ato = min(c.ato / 2 + m, 0.200) }
            else if m > 0.200 { c.quick = max(c.quick, quickacks) }
        }
        c.lrcvtime = now
    }

    /// __tcp_ack_snd_check: an ACK now (more than a full segment unacknowledged, or quickack
    /// mode: quick ACKs left and not pingpong), else the delayed-ACK timer's.
    func __tcp_ack_snd_check(_ key: TCPKey, _ c: inout TCPConnection) -> String {
        guard c.ackScheduled else { return "no ACK owed" }
        let unacked = c.rcvNxt.map { Int($0 &- (c.rcvWup ?? $0)) } ?? 0
        if unacked > c.rcvMss || (c.quick > 0 && c.pingpong < Self.pingpongThreshold) {
            let quick = unacked <= c.rcvMss
            tcp_send_ack(key, &c, why: quick ? "ACK (quickack mode)" : "ACK (more than a full segment unacknowledged)")
            return quick ? "ACK sent at once (quickack)" : "ACK sent at once (more than a segment unacknowledged)"
        }
        // tcp_send_delayed_ack: the timer fires ato later — at the next jiffy while ato is still 0
        // (a FIN before any data: the ACK 1.2 ms after it in Fixtures/captures/netns-sll2.pcap,
        // counted TcpExtDelayedACKs; `make oracle` replays it).
        // tcp_send_delayed_ack: ato later, bounded by the smoothed RTT (on a LAN, TCP_DELACK_MIN);
        // an earlier deadline already set stands.
        let ato = c.ato == 0 ? Self.jiffy : min(c.ato, 0.040)
        c.delackDue = min(c.delackDue ?? .infinity, now + ato)
        if !tcpHashinfo.delackArmed.contains(key) { tcpHashinfo.delackArmed.append(key) }
        return "ACK left to the delayed-ACK timer (\(Int((ato * 1000).rounded())) ms" + (c.pingpong >= Self.pingpongThreshold ? ", pingpong mode)" : ")")
    }

    /// CONFIG_HZ of the modelled kernels' builds; one jiffy: a timer armed with ato 0 fires at
    /// the next tick.
    static let hz = 250
    static let jiffy = 1 / Double(hz)
    /// The frame's time in jiffies (rate limits and back-offs count in them).
    var jiffies: Int { Int(now * Double(Self.hz)) }

    /// The delayed-ACK timers due by `t` (tcp_delack_timer → tcp_delack_timer_handler): the owed
    /// ACK goes, counted TcpExtDelayedACKs; a timer that finds pingpong mode leaves it and
    /// deflates ato, one that does not inflates ato. A segment the host sent meanwhile carried the
    /// ACK (tcp_event_ack_sent disarmed the timer). Only connections with a timer armed are
    /// looked at: none, on most frames. `beforeFrame`: they fired before the frame being
    /// reported (a timer line says so); else after it, in the time the caller has seen of it.
    /// The SYNs whose retransmit timer a bad SYN-ACK re-armed to TCP_TIMEOUT_MIN (two jiffies):
    /// sent again from the timer softirq (`run_timer_softirq`), after the frame's own softirq.
    func tcp_retransmit_timers() {
        guard !tcpHashinfo.retransmitDue.isEmpty else { return }
        let due = tcpHashinfo.retransmitDue
        tcpHashinfo.retransmitDue = []
        for (p, key) in due {
            let saved = (trace.context, record.socket)
            trace.context = ["run_timer_softirq"]
            emitting("SYN again (the retransmit timer, re-armed to TCP_TIMEOUT_MIN)") {
                tcp_retransmit_timer(p, segment: Self.checksummedSegment(p), key: key)
            }
            (trace.context, record.socket) = saved
        }
    }

    func tcp_delack_timers(until t: Double, beforeFrame: Bool) {
        guard !tcpHashinfo.delackArmed.isEmpty else { return }
        var armed: [TCPKey] = []
        for key in tcpHashinfo.delackArmed {
            guard var c = tcpHashinfo.connections[key], let due = c.delackDue else { continue }
            if due > t { armed.append(key); continue }
            c.delackDue = nil
            guard c.ackScheduled else { continue }
            let saved = (trace.context, record.socket)
            trace.context = ["run_timer_softirq"]
            do {
                let f = trace.enter(.call_timer_fn); defer { trace.leave(f) }
                let g = trace.enter(.tcp_delack_timer); defer { trace.leave(g) }
                let h = trace.enter(.tcp_delack_timer_handler); defer { trace.leave(h) }
                if c.pingpong >= Self.pingpongThreshold { c.pingpong = 0; c.ato = 0.040 } else { c.ato = min(c.ato * 2, 0.200) }
                tcp_send_ack(key, &c, why: "ACK (delayed-ACK timer)")
                counters.inc(.TcpExtDelayedACKs)
            }
            if beforeFrame {
                record.timers.append("tcp_delack_timer: the ACK owed on tcp \(key.localText):\(key.localPort) ← \(key.peerText):\(key.peerPort) sent")
            }
            (trace.context, record.socket) = saved
            tcpHashinfo.connections[key] = c
        }
        tcpHashinfo.delackArmed = armed
    }

    /// tcp_ack: header prediction's pure forward advance counts TCPHPAcks; otherwise a segment
    /// with nothing in it counts TCPPureAcks and the window is taken (a new one turns header
    /// prediction on). The segments it covers are delivered.
    func tcp_ack(_ c: inout TCPConnection, ack: UInt32, window: UInt16, slowPath: Bool, pure: Bool) {
        let f = trace.enter(.tcp_ack); defer { trace.leave(f) }
        guard let una = c.sndUna else { return }
        if seqAfter(una, ack) || seqAfter(ack, c.sndNxt) { return }   // old, or acknowledging what was not sent
        if !slowPath && seqAfter(ack, una) {
            counters.inc(.TcpExtTCPHPAcks)
        } else {
            if pure { counters.inc(.TcpExtTCPPureAcks) }
            let nwin = Int(window) << Int(c.sndWscale)
            if nwin != c.sndWnd { c.sndWnd = nwin; c.fastPath = true }
        }
        // Whole skbs leave the queue; one acknowledged in part is trimmed (tcp_tso_acked →
        // tcp_trim_head: its segment count taken again over what is left).
        var delivered = 0
        c.unacked.removeAll { s in
            guard !seqAfter(s.end, ack) else { return false }
            delivered += s.segments
            return true
        }
        if var s = c.unacked.first, seqAfter(ack, s.start), s.segments > 1 {
            let left = Int(s.end &- ack)
            let segments = max(1, (left + s.mss - 1) / s.mss)
            delivered += s.segments - segments
            s.start = ack; s.segments = segments
            c.unacked[0] = s
        }
        if delivered > 0 { counters.inc(.TcpExtTCPDelivered, by: delivered) }
        c.sndUna = ack
    }

    /// tcp_time_wait: the socket becomes a TIME_WAIT one; its 60 s timer counts TW
    /// (__inet_twsk_schedule).
    func tcp_time_wait(_ c: inout TCPConnection) {
        let f = trace.enter(.tcp_time_wait); defer { trace.leave(f) }
        c.state = .timeWait
        counters.inc(.TcpExtTW)
    }

    /// tcp_rcv_state_process in SYN_SENT (tcp_rcv_synsent_state_process, RFC 9293 3.10.7.3):
    /// the SYN-ACK that acknowledges our SYN establishes the connection and is answered with an
    /// ACK; an acceptable RST refuses the connection (ECONNREFUSED); a bad ACK is reset.
    func tcp_rcv_synsent_state_process(_ skb: SKB, _ key: TCPKey, _ c: inout TCPConnection, seq: UInt32, ack: UInt32, flags: TCPFlags,
                                       window: UInt16, synAckWscale: UInt8?, dataLength: Int, tsval: UInt32?, tsecr: UInt32?) {
        let f = trace.enter(.tcp_v4_do_rcv); defer { trace.leave(f) }
        let g = trace.enter(.tcp_rcv_state_process); defer { trace.leave(g) }
        let h = trace.enter(.tcp_rcv_synsent_state_process); defer { trace.leave(h) }
        let name = "tcp \(key.localText):\(key.localPort) → \(key.peerText):\(key.peerPort) SYN_SENT"
        record.socket = name
        if flags.contains(.ack) {
            // `if (!after(ack_seq, snd_una) || after(ack_seq, snd_nxt)) goto reset_and_undo;`
            if ack != c.sndNxt {
                trace.leave(h); trace.leave(g)
                if !flags.contains(.rst) {
                    tcp_v4_send_reset(to: key.peer, from: key.local, sport: key.localPort, dport: key.peerPort, seq: seq, ack: ack,
                                      flags: flags, dataLength: dataLength)
                }
                kfree_skb_reason("TCP_INVALID_ACK_SEQUENCE", detail: "acknowledges \(ack), not our SYN (\(c.sndNxt &- 1)): "
                                 + (flags.contains(.rst) ? "ignored" : "RST sent") + "; the retransmit timer, re-armed to TCP_TIMEOUT_MIN, sends the SYN again")
                // `if (icsk->icsk_retransmits == 0) inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
                // TCP_TIMEOUT_MIN, …)`: the SYN goes again two jiffies later (a previous RST might
                // have been lost), before the capture's next frame in all but the densest captures:
                // from the timer softirq, once this frame's softirq is over (finishFrame).
                if let p = c.syn { tcpHashinfo.retransmitDue.append((p, key)) }
                return
            }
            // `if (saw_tstamp && rcv_tsecr && !between(rcv_tsecr, retrans_stamp, tcp_time_stamp_ts(tp)))`:
            // the echo must fall between our SYN's timestamp and now (ms; the capture's clock).
            if let echo = tsecr, echo != 0, let sent = c.synTSval {
                let elapsed = UInt32(clamping: Int(max(0, (now - c.synTime) * 1000).rounded(.up)) + 1)
                if echo &- sent > elapsed {
                    counters.inc(.TcpExtPAWSActive)
                    trace.leave(h); trace.leave(g)
                    if !flags.contains(.rst) {
                        tcp_v4_send_reset(to: key.peer, from: key.local, sport: key.localPort, dport: key.peerPort, seq: seq, ack: ack,
                                          flags: flags, dataLength: dataLength)
                    }
                    // 6.18's tcp_rcv_state_process returns the reason; 6.1's returns 1 (reset)
                    // and tcp_v4_do_rcv frees with the NOT_SPECIFIED it started with (its guest).
                    kfree_skb_reason(profile.kernel == .v6_1 ? "NOT_SPECIFIED" : "TCP_RFC7323_PAWS",
                                     detail: "echoes timestamp \(echo), not one of ours since the SYN (\(sent)): RST sent")
                    return
                }
            }
            if flags.contains(.rst) {
                // tcp_reset: the connect() fails with ECONNREFUSED; tcp_done counts the attempt.
                do { let r = trace.enter(.tcp_reset); defer { trace.leave(r) }
                    let d = trace.enter(.tcp_done); trace.leave(d) }
                counters.inc(.TcpAttemptFails)
                c.state = .closed
                __kfree_skb(.consume, detail: "RST for our SYN: \(name) refused (connect() fails with ECONNREFUSED)")
                return
            }
            guard flags.contains(.syn) else {
                kfree_skb_reason("TCP_FLAGS", detail: "an ACK without SYN to \(name)")
                return
            }
            do { let a = trace.enter(.tcp_ack); trace.leave(a) }
            counters.inc(.TcpExtTCPDelivered)   // tcp_clean_rtx_queue: the SYN is delivered
            do { let a = trace.enter(.tcp_finish_connect); trace.leave(a) }
            c.state = .established
            c.rcvNxt = seq &+ 1
            if let v = tsval { c.peerTSval = v }
            c.rxRoute = skb.dst
            // tcp_finish_connect: snd_wnd from the SYN-ACK (not scaled); header prediction only
            // without window scaling.
            c.sndUna = ack
            c.sndWnd = Int(window)
            c.sndWscale = synAckWscale ?? 0
            c.fastPath = c.sndWscale == 0
            c.lrcvtime = now
                tcp_send_ack(key, &c, why: "ACK of the SYN-ACK")
            trace.leave(h)
            __kfree_skb(.consume, detail: "SYN-ACK for our SYN: \(name) is ESTABLISHED, ACK sent")
            record.socket = "tcp \(key.localText):\(key.localPort) → \(key.peerText):\(key.peerPort) ESTABLISHED"
            return
        }
        if flags.contains(.rst) {
            kfree_skb_reason("TCP_RESET", detail: "a RST without ACK to \(name): ignored")
            return
        }
        kfree_skb_reason("TCP_FLAGS", detail: "a segment without ACK to \(name)")
        return
    }

    /// An ACK from this host on connection `c` (__tcp_send_ack).
    func tcp_send_ack(_ key: TCPKey, _ c: inout TCPConnection, why: String) {
        tcp_event_ack_sent(&c)
        let f = trace.enter(.__tcp_send_ack); defer { trace.leave(f) }
        // The advertised window: the initial window, scaled, rounded up (tcp_select_window never
        // shrinks what it offered).
        let wnd = c.rcvWnd ?? Int(Self.initialWindow(mss: c.mss, timestamps: c.timestamps))
        let scaled = (wnd + (1 << Int(c.rcvWscale)) - 1) >> Int(c.rcvWscale)
        let opts: [TCPOption] = c.timestamps ? [.noOperation, .noOperation, .timestamp(value: 0, echo: c.peerTSval)] : []
        let ack = TCPHeader(sourcePort: key.localPort, destinationPort: key.peerPort, sequenceNumber: c.sndNxt, ackNumber: c.rcvNxt ?? 0,
                            flags: .ack, window: UInt16(min(scaled, 65535)), options: opts)
        counters.inc(.TcpOutSegs)
        // The socket's cached route: no FIB lookup (__sk_dst_check).
        if let peer6 = key.peer6, let local6 = key.local6 {
            guard let out = c.txRoute6 ?? ip6_route_output(daddr: peer6, saddr: local6, oif: nil, proto: 6) else { return }
            let g = trace.enter(.tcp_transmit_skb); defer { trace.leave(g) }
            let h = trace.enter(.inet6_csk_xmit); defer { trace.leave(h) }
            ip6_xmit(ack, from: local6, to: peer6, route: out, why: why)
            return
        }
        guard let out = c.txRoute ?? ip_route_output(daddr: key.peer, saddr: key.local, tos: 0, proto: 6) else { return }
        send_tcp(ack, to: key.peer, from: key.local, route: out, via: .tcp_transmit_skb, why: why)
    }

    /// tcp_event_ack_sent: whatever segment carries the ACK, the owed ACK is paid, a quick ACK
    /// spent (tcp_dec_quickack_mode), rcv_wup moved up.
    func tcp_event_ack_sent(_ c: inout TCPConnection) {
        if c.ackScheduled && c.quick > 0 {
            c.quick -= 1
            if c.quick == 0 { c.ato = 0.040 }
        }
        c.ackScheduled = false
        c.delackDue = nil   // inet_csk_clear_xmit_timer(sk, ICSK_TIME_DACK)
        c.rcvWup = c.rcvNxt
    }
}
