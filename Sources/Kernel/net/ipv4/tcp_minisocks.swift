// net/ipv4/tcp_minisocks.c — the request socket (SYN_RECV) and its child — modelled: 6.18
// (checked: the ACK completing the handshake, a RST, an in-window RST, one out of the window,
// the SYN again, a new SYN, a bad ACK; IPv4 and IPv6), 5.4 (the same decisions). Also here the
// request socket's own sends: inet_rtx_syn_ack (net/ipv4/inet_connection_sock.c) and
// rsk_ops->send_ack (tcp_v4_reqsk_send_ack, tcp_v6_reqsk_send_ack).
import HostModel
import Wire

extension Kernel {
    /// tcp_child_process → tcp_rcv_state_process (SYN_RECV → ESTABLISHED) → tcp_data_queue: a
    /// segment without data is freed there (__kfree_skb); one with data is queued.
    func tcp_child_process(_ skb: SKB, _ key: TCPKey, _ c: inout TCPConnection, seq: UInt32, ack: UInt32, window: UInt16, headerLength: Int,
                           flags: TCPFlags, dataLength: Int, tsval: UInt32?) {
        let f = trace.enter(.tcp_child_process); defer { trace.leave(f) }
        let g = trace.enter(.tcp_rcv_state_process); defer { trace.leave(g) }
        record.socket = "tcp \(key.localText):\(key.localPort) ← \(key.peerText):\(key.peerPort) ESTABLISHED"
        if dataLength == 0 && !flags.contains(.fin) {
            let h = trace.enter(.tcp_data_queue); defer { trace.leave(h) }
            __kfree_skb(.consume, detail: "the ACK completes the handshake: a child socket in ESTABLISHED waits in \(c.listener)'s accept queue")
            return
        }
        tcp_rcv_established(skb, key, &c, seq: seq, ack: ack, window: window, headerLength: headerLength, flags: flags, dataLength: dataLength, tsval: tsval)
    }

    /// What tcp_check_req made of a segment to a request socket.
    enum RequestOutcome {
        /// The ACK completing the handshake: the child socket takes it.
        case child
        /// An ACK that does not acknowledge the SYN-ACK: the listener answers it (a RST).
        case listener
        /// Consumed by the request socket: tcp_v4_rcv frees it with this reason (discard_and_relse).
        case dropped(reason: String, detail: String)
    }

    /// tcp_check_req (net/ipv4/tcp_minisocks.c), in its order: a retransmitted SYN gets the
    /// SYN-ACK again; an ACK of anything but the SYN-ACK goes to the listener; a segment out of
    /// the window gets an ACK (not a RST: it is ignored); an in-window RST that is not exact gets
    /// a challenge ACK (RFC 5961 3.2); a RST or a new SYN ends the request (TcpAttemptFails and
    /// TcpExtEmbryonicRsts; a SYN gets a RST back); no ACK: dropped; else the child is made.
    /// The ACKs are rate-limited per request (tcp_oow_rate_limited, tcp_invalid_ratelimit).
    func tcp_check_req(_ skb: SKB, _ key: TCPKey, _ c: inout TCPConnection, seq: UInt32, ack: UInt32, window: UInt16, dataLength: Int,
                       flags: TCPFlags) -> RequestOutcome {
        let f = trace.enter(.tcp_check_req); defer { trace.leave(f) }
        let rcvNxt = c.rcvNxt ?? seq, rcvIsn = rcvNxt &- 1
        let (rst, syn, hasAck) = (flags.contains(.rst), flags.contains(.syn), flags.contains(.ack))
        if seq == rcvIsn && syn && !rst && !hasAck {
            if !tcp_oow_rate_limited(&c, counter: .TcpExtTCPACKSkippedSynRecv, dataOrSyn: false) { inet_rtx_syn_ack(skb, key, &c) }
            return .dropped(reason: "NOT_SPECIFIED", detail: "the SYN again, to a request socket in SYN_RECV: its SYN-ACK sent again")
        }
        if hasAck && !rst && ack != c.sndNxt { return .listener }
        let endSeq = seq &+ UInt32(dataLength) &+ (syn ? 1 : 0) &+ (flags.contains(.fin) ? 1 : 0)
        let win = UInt32(min(65535, Int(c.synack?.window ?? Self.initialWindow(mss: c.mss, timestamps: c.timestamps))))
        let inWindow = seq == rcvNxt || (Int32(bitPattern: endSeq &- rcvNxt) > 0 && Int32(bitPattern: seq &- (rcvNxt &+ win)) < 0)
            || (seq == rcvNxt &+ win && seq == endSeq)
        if !inWindow {
            if !rst, !tcp_oow_rate_limited(&c, counter: .TcpExtTCPACKSkippedSynRecv, dataOrSyn: dataLength > 0 && !syn) {
                reqsk_send_ack(skb, key, c)
            }
            return .dropped(reason: "TCP_OVERWINDOW", detail: "seq \(seq) outside the request socket's window (rcv_nxt \(rcvNxt), \(win) bytes)"
                            + (rst ? ": the RST is ignored" : ": an ACK is sent"))
        }
        var synFlag = syn
        if seq == rcvIsn { synFlag = false }
        if rst && seq != rcvNxt {
            if !tcp_oow_rate_limited(&c, counter: .TcpExtTCPACKSkippedChallenge, dataOrSyn: false) {
                reqsk_send_ack(skb, key, c)
                counters.inc(.TcpExtTCPChallengeACK)
            }
            return .dropped(reason: "NOT_SPECIFIED", detail: "an in-window RST to a request socket that is not at rcv_nxt \(rcvNxt): a challenge ACK")
        }
        if rst || synFlag {
            counters.inc(.TcpAttemptFails)
            // embryonic_reset: a SYN gets a RST; the request socket is unlinked either way.
            if !rst {
                if key.peer6 != nil { tcp_v6_send_reset(skb, seq: seq, ack: ack, flags: flags, dataLength: dataLength) }
                else { tcp_v4_send_reset(to: key.peer, from: key.local, sport: key.localPort, dport: key.peerPort, seq: seq, ack: ack, flags: flags, dataLength: dataLength) }
            }
            counters.inc(.TcpExtEmbryonicRsts)   // inet_csk_reqsk_queue_drop unlinked it
            c.state = .closed
            return .dropped(reason: "NOT_SPECIFIED", detail: rst ? "RST to a request socket in SYN_RECV: the request is dropped (embryonic reset)"
                            : "a new SYN in the window of a request socket: RST sent, the request dropped")
        }
        guard hasAck else { return .dropped(reason: "NOT_SPECIFIED", detail: "a segment without ACK to a request socket: dropped") }
        if let peer6 = key.peer6, let local6 = key.local6 {
            // tcp_v6_syn_recv_sock: inet6_csk_route_req gives the child a route of its own.
            let g = trace.enter(.tcp_v6_syn_recv_sock); defer { trace.leave(g) }
            let r = trace.enter(.inet6_csk_route_req)
            if let out = ip6_route_output(daddr: peer6, saddr: local6, oif: peer6.isLinkLocal ? c.txRoute6?.route.dev : nil, proto: 6) { c.txRoute6 = out }
            trace.leave(r)
            let h = trace.enter(.tcp_create_openreq_child); trace.leave(h)
            c.rxRoute6 = currentRoute6
        } else {
            let g = trace.enter(.tcp_v4_syn_recv_sock); defer { trace.leave(g) }
            // The child first, then (the request kept no route) inet_csk_route_child_sock gives
            // it a route of its own (the 6.1 guest's function trace; tcp_ipv4.c since 2.6).
            do { let h = trace.enter(.tcp_create_openreq_child); trace.leave(h) }
            let r = trace.enter(.inet_csk_route_child_sock); defer { trace.leave(r) }
            if case .success(let out) = ip_route_output_flow(Flow(source: key.local, destination: key.peer, iif: nil, oif: nil, tos: 0, proto: 6,
                                                                   sport: key.localPort, dport: key.peerPort)) {
                c.txRoute = (out.dev, out.nextHop, out.source)
                tcpHashinfo.dstCache[key] = out
            }
            trace.leave(r)
        }
        counters.inc(.TcpPassiveOpens)
        c.state = .established
        c.synack = nil
        c.rxRoute = currentRoute
        // tcp_rcv_state_process, SYN_RECV: snd_una past the SYN, snd_wnd from this ACK,
        // tcp_fast_path_on (a request socket's SYN-ACK is not counted delivered).
        c.sndUna = ack
        c.sndWnd = Int(window) << Int(c.sndWscale)
        c.fastPath = true
        c.lrcvtime = now
        if dataLength == 0 { counters.inc(.TcpExtTCPPureAcks) }
        return .child
    }

    /// inet_rtx_syn_ack → tcp_rtx_synack: the request socket's SYN-ACK again, counted a
    /// retransmission.
    func inet_rtx_syn_ack(_ skb: SKB, _ key: TCPKey, _ c: inout TCPConnection) {
        let f = trace.enter(.inet_rtx_syn_ack); defer { trace.leave(f) }
        let g = trace.enter(.tcp_rtx_synack); defer { trace.leave(g) }
        guard let synack = c.synack else { return }
        counters.inc(.TcpRetransSegs)
        counters.inc(.TcpExtTCPSynRetrans)
        if let peer6 = key.peer6, let local6 = key.local6 {
            // tcp_v6_send_synack without a dst: inet6_csk_route_req looks the route up again.
            let h = trace.enter(.tcp_v6_send_synack); defer { trace.leave(h) }
            let r = trace.enter(.inet6_csk_route_req)
            let out = tcp6ReplyRoute(skb)
            trace.leave(r)
            guard let out else { return }
            ip6_xmit(synack, from: local6, to: peer6, route: out, why: "SYN-ACK again")
        } else {
            let h = trace.enter(.tcp_v4_send_synack); defer { trace.leave(h) }
            guard let out = ip_route_output(daddr: key.peer, saddr: key.local, tos: 0, proto: 6) else { return }
            send_tcp(synack, to: key.peer, from: key.local, route: out, via: .ip_build_and_send_pkt, why: "SYN-ACK again")
        }
        counters.inc(.TcpOutSegs)
    }

    /// req->rsk_ops->send_ack: tcp_v4_reqsk_send_ack → tcp_v4_send_ack, or tcp_v6_reqsk_send_ack
    /// → tcp_v6_send_ack → tcp_v6_send_response: an ACK from the request socket (seq: its
    /// ISN + 1, ack: rcv_nxt, window: the SYN-ACK's, scaled; timestamps if agreed).
    func reqsk_send_ack(_ skb: SKB, _ key: TCPKey, _ c: TCPConnection) {
        let wnd = Int(c.synack?.window ?? Self.initialWindow(mss: c.mss, timestamps: c.timestamps)) >> Int(c.rcvWscale)
        let ackHeader = TCPHeader(sourcePort: key.localPort, destinationPort: key.peerPort, sequenceNumber: c.sndNxt, ackNumber: c.rcvNxt ?? 0,
                                  flags: .ack, window: UInt16(min(wnd, 65535)),
                                  options: c.timestamps ? [.noOperation, .noOperation, .timestamp(value: 0, echo: c.peerTSval)] : [])
        if let peer6 = key.peer6, let local6 = key.local6 {
            let f = trace.enter(.tcp_v6_reqsk_send_ack); defer { trace.leave(f) }
            let g = trace.enter(.tcp_v6_send_ack); defer { trace.leave(g) }
            let h = trace.enter(.tcp_v6_send_response); defer { trace.leave(h) }
            guard let out = tcp6ReplyRoute(skb) else { return }
            ip6_xmit(ackHeader, from: local6, to: peer6, route: out, why: "ACK from the request socket")
            counters.inc(.TcpOutSegs)
            return
        }
        let f = trace.enter(.tcp_v4_reqsk_send_ack); defer { trace.leave(f) }
        let g = trace.enter(.tcp_v4_send_ack); defer { trace.leave(g) }
        counters.inc(.TcpOutSegs)
        ip_send_unicast_reply(ackHeader, to: key.peer, from: key.local, why: "ACK from the request socket")
    }
}
