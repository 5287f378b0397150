// net/ipv4/tcp_input.c, tcp_minisocks.c — the parts of TCP the receive model follows across a
// capture: request sockets (SYN_RECV), the ACK that completes the handshake, data and FIN on an
// established connection, and the ACKs the kernel sends for them. Modelled: 6.18 (checked: the
// handshake, the first data segment's quick ACK, a FIN acknowledged by the delayed-ACK timer);
// 5.4 takes the same path. The host's sequence space starts at 0 (the kernel's ISN is random).
import HostModel
import Wire

/// One connection the model knows: made by a handshake seen in the capture, or ESTAB in ss.
struct TCPConnection {
    enum State: String {
        case synSent = "SYN_SENT", synRecv = "SYN_RECV", established = "ESTABLISHED", closeWait = "CLOSE_WAIT"
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

struct TCPKey: Hashable {
    let peer: IPv4Address, peerPort: UInt16, local: IPv4Address, localPort: UInt16
}

extension Kernel {
    /// The initial receive window in a SYN-ACK: 65535 rounded down to a multiple of the
    /// effective MSS (tcp_select_initial_window; 12 bytes less with timestamps).
    static func initialWindow(mss: Int, timestamps: Bool) -> UInt16 {
        let eff = mss - (timestamps ? 12 : 0)
        return UInt16((65535 / eff) * eff)
    }

    /// tcp_child_process → tcp_rcv_state_process (SYN_RECV → ESTABLISHED) → tcp_data_queue: a
    /// segment without data is freed there (__kfree_skb); one with data is queued.
    func tcp_child_process(_ skb: SKB, _ key: TCPKey, _ c: inout TCPConnection, seq: UInt32, flags: TCPFlags, dataLength: Int, tsval: UInt32?) {
        let f = trace.enter(.tcp_child_process); defer { trace.leave(f) }
        let g = trace.enter(.tcp_rcv_state_process); defer { trace.leave(g) }
        socketDescription = "tcp \(key.local):\(key.localPort) ← \(key.peer):\(key.peerPort) ESTABLISHED"
        if dataLength == 0 && !flags.contains(.fin) {
            let h = trace.enter(.tcp_data_queue); defer { trace.leave(h) }
            __kfree_skb(.consume, detail: "the ACK completes the handshake: a child socket in ESTABLISHED waits in \(c.listener)'s accept queue")
            return
        }
        tcp_rcv_established(skb, key, &c, seq: seq, flags: flags, dataLength: dataLength, tsval: tsval)
    }

    /// tcp_check_req: the ACK that completes a handshake with a request socket.
    func tcp_check_req(_ key: TCPKey, _ c: inout TCPConnection, ack: UInt32, dataLength: Int, flags: TCPFlags) -> Bool {
        let f = trace.enter(.tcp_check_req); defer { trace.leave(f) }
        guard flags.contains(.ack), !flags.contains(.rst), !flags.contains(.syn), ack == c.sndNxt else { return false }
        do {
            let g = trace.enter(.tcp_v4_syn_recv_sock); defer { trace.leave(g) }
            // inet_csk_route_child_sock: the child socket gets a route of its own.
            let r = trace.enter(.inet_csk_route_child_sock); defer { trace.leave(r) }
            if let out = ip_route_output(daddr: key.peer, saddr: key.local, tos: 0, proto: 6) { c.txRoute = out }
            trace.leave(r)
            let h = trace.enter(.tcp_create_openreq_child); trace.leave(h)
        }
        counters.inc(.TcpPassiveOpens)
        c.state = .established
        c.rxRoute = currentRoute
        counters.inc(.TcpCurrEstab)
        if dataLength == 0 { counters.inc(.TcpExtTCPPureAcks) }
        return true
    }

    /// A segment this host is seen sending in the capture: its SYN-ACK tells the ISN the kernel
    /// chose, so the peer's ACKs (which acknowledge that ISN) match, as they did on the wire.
    public func observeSent(frame: [UInt8], linkType: LinkType) {
        frame.withUnsafeBytes { b in
            let d = Dissection(b, linkType: linkType)
            guard case .ipv4(let ip)? = d.network, case .tcp(let t)? = d.transport,
                  t.flags.contains(.syn) && t.flags.contains(.ack) else { return }
            let key = TCPKey(peer: ip.destination, peerPort: t.destinationPort, local: ip.source, localPort: t.sourcePort)
            guard var c = tcpConnections[key], c.state == .synRecv else { return }
            c.sndNxt = t.sequenceNumber &+ 1
            tcpConnections[key] = c
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
        guard let key, let c = tcpConnections[key], c.state != .synRecv, let route = c.rxRoute else { return false }
        skb.dst = route
        return true
    }

    /// A segment on an established connection (tcp_rcv_established / tcp_data_queue).
    func tcp_rcv_established(_ skb: SKB, _ key: TCPKey, _ c: inout TCPConnection, seq: UInt32, flags: TCPFlags, dataLength: Int, tsval: UInt32?) {
        let f = trace.enter(.tcp_rcv_established); defer { trace.leave(f) }
        if let v = tsval { c.peerTSval = v }
        let name = "tcp \(key.local):\(key.localPort) ← \(key.peer):\(key.peerPort) \(c.state.rawValue)"
        socketDescription = name
        if dataLength == 0 && !flags.contains(.fin) {
            counters.inc(.TcpExtTCPPureAcks)
            __kfree_skb(.consume, detail: "an ACK on \(name): nothing to queue")
            return
        }
        let g = trace.enter(.tcp_data_queue); defer { trace.leave(g) }
        if dataLength > 0 {
            c.dataSegments += 1
            c.rcvNxt = (c.rcvNxt ?? seq) &+ UInt32(dataLength)
            let quick = c.dataSegments == 1
            c.unreadBytes += dataLength
            if quick {
                // The first data of a connection is acknowledged at once (quickack mode).
                tcp_send_ack(key, c, why: "ACK (quick ACK for the first data)")
            }
            handedOff(.deliver, function: "tcp_data_queue",
                      detail: "\(dataLength) bytes queued to \(name)" + (quick ? ", ACK sent at once (quickack)" : ", ACK left to the delayed-ACK timer"))
        }
        if flags.contains(.fin) {
            let h = trace.enter(.tcp_fin); defer { trace.leave(h) }
            c.rcvNxt = (c.rcvNxt ?? seq) &+ UInt32(dataLength) &+ 1
            if c.unreadBytes > 0 && dataLength == 0 { counters.inc(.TcpExtTCPRcvCoalesce) }
            c.state = .closeWait
            if c.dataSegments == 0 {
                // No data before it: the connection is still in quickack mode, the ACK goes at once
                // (seen in Fixtures/captures/netns-sll2.pcap: 1.2 ms after the FIN).
                tcp_send_ack(key, c, why: "ACK of the FIN (quickack)")
                handedOff(.deliver, function: "tcp_data_queue", detail: "FIN queued to \(name): CLOSE_WAIT; ACK sent at once (quickack)")
            } else {
                // After data, CLOSE_WAIT enters pingpong mode: the delayed-ACK timer acknowledges it.
                counters.inc(.TcpExtDelayedACKs)
                tcp_send_ack(key, c, why: "ACK of the FIN (delayed-ACK timer)")
                handedOff(.deliver, function: "tcp_data_queue",
                          detail: "FIN queued to \(name): CLOSE_WAIT; the delayed-ACK timer acknowledges it")
            }
        }
    }

    /// tcp_rcv_state_process in SYN_SENT (tcp_rcv_synsent_state_process, RFC 9293 3.10.7.3):
    /// the SYN-ACK that acknowledges our SYN establishes the connection and is answered with an
    /// ACK; an acceptable RST refuses the connection (ECONNREFUSED); a bad ACK is reset.
    func tcp_rcv_synsent_state_process(_ skb: SKB, _ key: TCPKey, _ c: inout TCPConnection, seq: UInt32, ack: UInt32, flags: TCPFlags,
                                       dataLength: Int, tsval: UInt32?, tsecr: UInt32?) {
        let f = trace.enter(.tcp_v4_do_rcv); defer { trace.leave(f) }
        let g = trace.enter(.tcp_rcv_state_process); defer { trace.leave(g) }
        let h = trace.enter(KFunc(named: "tcp_rcv_synsent_state_process")); defer { trace.leave(h) }
        let name = "tcp \(key.local):\(key.localPort) → \(key.peer):\(key.peerPort) SYN_SENT"
        socketDescription = name
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
                // have been lost), before the capture's next frame in all but the densest captures.
                if let p = c.syn {
                    let saved = socketDescription
                    emitting("SYN again (the retransmit timer, re-armed to TCP_TIMEOUT_MIN)") {
                        tcp_retransmit_timer(p, segment: Self.checksummedSegment(p), key: key)
                    }
                    socketDescription = saved
                }
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
                    kfree_skb_reason("TCP_RFC7323_PAWS", detail: "echoes timestamp \(echo), not one of ours since the SYN (\(sent)): RST sent")
                    return
                }
            }
            if flags.contains(.rst) {
                // tcp_reset: the connect() fails with ECONNREFUSED; tcp_done counts the attempt.
                do { let r = trace.enter(KFunc(named: "tcp_reset")); defer { trace.leave(r) }
                    let d = trace.enter(KFunc(named: "tcp_done")); trace.leave(d) }
                counters.inc(.TcpAttemptFails)
                c.state = .closed
                __kfree_skb(.consume, detail: "RST for our SYN: \(name) refused (connect() fails with ECONNREFUSED)")
                return
            }
            guard flags.contains(.syn) else {
                kfree_skb_reason("TCP_FLAGS", detail: "an ACK without SYN to \(name)")
                return
            }
            do { let a = trace.enter(KFunc(named: "tcp_ack")); trace.leave(a) }
            counters.inc(.TcpExtTCPDelivered)   // tcp_clean_rtx_queue: the SYN is delivered
            do { let a = trace.enter(KFunc(named: "tcp_finish_connect")); trace.leave(a) }
            c.state = .established
            c.rcvNxt = seq &+ 1
            if let v = tsval { c.peerTSval = v }
            c.rxRoute = skb.dst
            counters.inc(.TcpCurrEstab)
            tcp_send_ack(key, c, why: "ACK of the SYN-ACK")
            trace.leave(h)
            __kfree_skb(.consume, detail: "SYN-ACK for our SYN: \(name) is ESTABLISHED, ACK sent")
            socketDescription = "tcp \(key.local):\(key.localPort) → \(key.peer):\(key.peerPort) ESTABLISHED"
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
    func tcp_send_ack(_ key: TCPKey, _ c: TCPConnection, why: String) {
        let f = trace.enter(.__tcp_send_ack); defer { trace.leave(f) }
        // The socket's cached route: no FIB lookup (__sk_dst_check).
        guard let out = c.txRoute ?? ip_route_output(daddr: key.peer, saddr: key.local, tos: 0, proto: 6) else { return }
        // The advertised window: the initial window, scaled, rounded up (tcp_select_window never
        // shrinks what it offered).
        let wnd = c.rcvWnd ?? Int(Self.initialWindow(mss: c.mss, timestamps: c.timestamps))
        let scaled = (wnd + (1 << Int(c.rcvWscale)) - 1) >> Int(c.rcvWscale)
        let opts: [TCPOption] = c.timestamps ? [.noOperation, .noOperation, .timestamp(value: 0, echo: c.peerTSval)] : []
        let ack = TCPHeader(sourcePort: key.localPort, destinationPort: key.peerPort, sequenceNumber: c.sndNxt, ackNumber: c.rcvNxt ?? 0,
                            flags: .ack, window: UInt16(min(scaled, 65535)), options: opts)
        counters.inc(.TcpOutSegs)
        send_tcp(ack, to: key.peer, from: key.local, route: out, via: .tcp_transmit_skb, why: why)
    }
}
