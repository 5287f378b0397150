// net/ipv4/tcp_input.c, tcp_minisocks.c — the parts of TCP the receive model follows across a
// capture: request sockets (SYN_RECV), the ACK that completes the handshake, data and FIN on an
// established connection, and the ACKs the kernel sends for them. Modelled: 6.18 (checked: the
// handshake, the first data segment's quick ACK, a FIN acknowledged by the delayed-ACK timer);
// 5.4 takes the same path. The host's sequence space starts at 0 (the kernel's ISN is random).
import HostModel
import Wire

/// One connection the model knows: made by a handshake seen in the capture, or ESTAB in ss.
struct TCPConnection {
    enum State: String { case synRecv = "SYN_RECV", established = "ESTABLISHED", closeWait = "CLOSE_WAIT" }
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
    /// The socket's cached output route (sk_dst_cache), set by the SYN-ACK.
    var txRoute: (dev: Interface, nextHop: IPv4Address, source: IPv4Address)?
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

    /// An ACK from this host on connection `c` (__tcp_send_ack).
    func tcp_send_ack(_ key: TCPKey, _ c: TCPConnection, why: String) {
        let f = trace.enter(.__tcp_send_ack); defer { trace.leave(f) }
        // The socket's cached route: no FIB lookup (__sk_dst_check).
        guard let out = c.txRoute ?? ip_route_output(daddr: key.peer, saddr: key.local, tos: 0, proto: 6) else { return }
        // The advertised window: the initial window, scaled, rounded up (tcp_select_window never
        // shrinks what it offered).
        let wnd = Int(Self.initialWindow(mss: c.mss, timestamps: c.timestamps))
        let scaled = (wnd + (1 << Int(c.rcvWscale)) - 1) >> Int(c.rcvWscale)
        let opts: [TCPOption] = c.timestamps ? [.noOperation, .noOperation, .timestamp(value: 0, echo: c.peerTSval)] : []
        let ack = TCPHeader(sourcePort: key.localPort, destinationPort: key.peerPort, sequenceNumber: c.sndNxt, ackNumber: c.rcvNxt ?? 0,
                            flags: .ack, window: UInt16(min(scaled, 65535)), options: opts)
        counters.inc(.TcpOutSegs)
        send_tcp(ack, to: key.peer, from: key.local, route: out, via: .tcp_transmit_skb, why: why)
    }
}
