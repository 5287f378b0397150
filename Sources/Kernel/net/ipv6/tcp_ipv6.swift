// net/ipv6/tcp_ipv6.c — TCP over IPv6 on receive (6.18, 5.4), the LISTEN half: a SYN to a
// listener (an IPv6 socket on the port: bound to the address, to ::, or `*` dual stack) gets
// a SYN-ACK from tcp_v6_send_synack and a request socket; anything else without a socket gets
// tcp_v6_send_reset. The connection that follows runs IPv4's TCP machinery (tcp_input.swift:
// one state machine, keyed by a TCPKey with IPv6 ends); its answers leave through ip6_xmit.
import HostModel
import Wire

struct TCP6Key: Hashable {
    let peer: IPv6Address, peerPort: UInt16, local: IPv6Address, localPort: UInt16
}

extension Kernel {
    func tcp_v6_rcv(_ skb: SKB) {
        let f = trace.enter(.tcp_v6_rcv); defer { trace.leave(f) }
        currentRoute6 = skb.dst6
        let (src, dst) = skb.withIPv6 { ($0.source, $0.destination) }
        let payload = skb.networkBytes(from: skb.ip6cb.transport)
        let pseudo = InternetChecksum.pseudoHeader(source: src, destination: dst, nextHeader: 6, length: payload.count)
        guard let seg = tcp_rcv_segment(skb, payload, pseudo: pseudo) else { return }
        let dataLength = payload.count - seg.hlen
        let key = TCP6Key(peer: src, peerPort: seg.sport, local: dst, localPort: seg.dport)
        let tsval: UInt32? = seg.opts.lazy.compactMap { if case .timestamp(let v, _) = $0 { v } else { nil } }.first
        // __inet6_lookup_skb: established and request sockets first (IPv4's TCP machinery).
        if tcp_rcv_connection(skb, TCPKey(v6: key), seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, opts: seg.opts,
                              headerLength: seg.hlen, dataLength: dataLength, tsval: tsval, doRcv: .tcp_v6_do_rcv) { return }
        if let listener = host.sockets.first(where: { s in
            s.protocolKind == .tcp && s.state == "LISTEN" && s.isV6 && s.localPort == seg.dport && s.isOpen(at: now)
                && (s.localAddress == nil || s.localAddress == .v6(dst)) && (s.boundDevice == nil || s.boundDevice == skb.dev.name)
        }) {
            let name = "tcp [\(listener.localAddress?.description ?? "::")]:\(listener.localPort) LISTEN"
            record.socket = name
            let g = trace.enter(.tcp_v6_do_rcv); defer { trace.leave(g) }
            var dropReason = "TCP_FLAGS"
            do {
                let h = trace.enter(.tcp_rcv_state_process); defer { trace.leave(h) }
                if seg.flags.contains(.ack) {
                    dropReason = "TCP_FLAGS"
                } else if seg.flags.contains(.rst) {
                    dropReason = "TCP_RESET"
                } else if seg.flags.contains(.syn) {
                    let c = trace.enter(.tcp_v6_conn_request); defer { trace.leave(c) }
                    let r = trace.enter(.tcp_conn_request); defer { trace.leave(r) }
                    // af_ops->route_req (tcp_v6_route_req → inet6_csk_route_req): the SYN-ACK's
                    // route, looked up before the request socket's SYN-ACK is made.
                    let out: (route: Route6, source: IPv6Address)? = {
                        let q = trace.enter(.tcp_v6_route_req); defer { trace.leave(q) }
                        let g = trace.enter(.inet6_csk_route_req); defer { trace.leave(g) }
                        return tcp6ReplyRoute(skb)
                    }()
                    if let out { tcp_v6_send_synack(skb, key: key, seq: seg.seq, synOptions: seg.opts, route: out) }
                    trace.leave(c)
                    consume_skb(.consume, detail: "SYN to \(name): request socket made, SYN-ACK sent")
                    return
                }
                if tcp_rcv_state_process_listener(&dropReason, flags: seg.flags, listener: name) { return }
            }
            // tcp_v6_do_rcv: `reset: tcp_v6_send_reset(…); discard: kfree_skb_reason(…)`.
            if dropReason == "TCP_FLAGS" || seg.flags.contains(.ack) {
                tcp_v6_send_reset(skb, seq: seg.seq, ack: seg.ack, flags: seg.flags, dataLength: dataLength)
            }
            kfree_skb_reason(dropReason, detail: seg.flags.contains(.rst) ? "RST to a listener: ignored"
                             : "\(seg.flags.contains(.ack) ? "an ACK" : "a segment without SYN") to \(name) with no request socket: RST sent")
            return
        }
        if seg.flags.contains(.rst) {
            kfree_skb_reason("NO_SOCKET", detail: "RST to port \(seg.dport) with no socket: ignored")
            return
        }
        tcp_v6_send_reset(skb, seq: seg.seq, ack: seg.ack, flags: seg.flags, dataLength: dataLength)
        kfree_skb_reason("NO_SOCKET", detail: "no socket on TCP port \(seg.dport): RST sent")
    }

    /// tcp_v6_early_demux: a segment for an established socket takes the socket's cached input
    /// route (sk->sk_rx_dst), so ip6_rcv_finish_core makes no route lookup.
    func tcp_v6_early_demux(_ skb: SKB) -> Bool {
        let f = trace.enter(.tcp_v6_early_demux); defer { trace.leave(f) }
        let t = skb.ip6cb.transport
        guard skb.length >= t + 4 else { return false }
        let key = skb.withIPv6 { ip in
            TCPKey(v6: TCP6Key(peer: ip.source, peerPort: ip.bytes.u16(t), local: ip.destination, localPort: ip.bytes.u16(t + 2)))
        }
        guard let c = tcpHashinfo.connections[key], c.state != .synRecv, let route = c.rxRoute6 else { return false }
        skb.dst6 = route
        return true
    }

    /// The route an answer to `skb` takes (ip6_dst_lookup_flow): from the address it came to,
    /// out of the interface it came in on for a link-local peer (rt6_need_strict).
    func tcp6ReplyRoute(_ skb: SKB) -> (route: Route6, source: IPv6Address)? {
        let (src, dst) = skb.withIPv6 { ($0.source, $0.destination) }
        let f = trace.enter(.ip6_dst_lookup_flow); defer { trace.leave(f) }
        return ip6_route_output(daddr: src, saddr: dst, oif: src.isLinkLocal || src.isMulticast ? skb.dev : nil, proto: 6)
    }

    /// tcp_v6_send_reset → tcp_v6_send_response: RST|ACK acknowledging a segment without ACK,
    /// RST with its ack number as sequence otherwise.
    func tcp_v6_send_reset(_ skb: SKB, seq: UInt32, ack: UInt32, flags: TCPFlags, dataLength: Int) {
        let f = trace.enter(.tcp_v6_send_reset); defer { trace.leave(f) }
        let (src, dst, sport, dport) = skb.withIPv6 { ip -> (IPv6Address, IPv6Address, UInt16, UInt16) in
            let t = skb.ip6cb.transport
            return (ip.source, ip.destination, UInt16(ip.bytes[t + 2]) << 8 | UInt16(ip.bytes[t + 3]), UInt16(ip.bytes[t]) << 8 | UInt16(ip.bytes[t + 1]))
        }
        var rst: TCPHeader
        if flags.contains(.ack) {
            rst = TCPHeader(sourcePort: sport, destinationPort: dport, sequenceNumber: ack, flags: .rst, window: 0)
        } else {
            let consumed = UInt32(dataLength) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
            rst = TCPHeader(sourcePort: sport, destinationPort: dport, sequenceNumber: 0, ackNumber: seq &+ consumed, flags: [.rst, .ack], window: 0)
        }
        let g = trace.enter(.tcp_v6_send_response); defer { trace.leave(g) }
        guard let out = tcp6ReplyRoute(skb) else { return }
        ip6_xmit(rst, from: dst, to: src, route: out, why: "TCP RST")
        counters.inc(.TcpOutSegs)
        counters.inc(.TcpOutRsts)
    }

    /// tcp_v6_send_synack: MSS from the route's MTU less 60; SACK, timestamps and window scaling
    /// as the SYN offered them (the same choices as IPv4's).
    func tcp_v6_send_synack(_ skb: SKB, key: TCP6Key, seq: UInt32, synOptions: [TCPOption], route out: (route: Route6, source: IPv6Address)) {
        let f = trace.enter(.tcp_v6_send_synack); defer { trace.leave(f) }
        guard let dev = out.route.dev else { return }
        let mss = dev.mtu - 60
        var opts: [TCPOption] = [.maxSegmentSize(UInt16(mss))]
        let sack = synOptions.contains(.sackPermitted)
        let ts = synOptions.first { if case .timestamp = $0 { true } else { false } }
        let ws = synOptions.contains { if case .windowScale = $0 { true } else { false } }
        if sack && ts != nil { opts.append(.sackPermitted) }
        if case .timestamp(let v, _)? = ts { opts.append(.timestamp(value: 0, echo: v)) }
        if sack && ts == nil { opts += [.noOperation, .noOperation, .sackPermitted] }
        if ws { opts += [.noOperation, .windowScale(rcvWindowScale)] }
        let synack = TCPHeader(sourcePort: key.localPort, destinationPort: key.peerPort, sequenceNumber: 0, ackNumber: seq &+ 1,
                               flags: [.syn, .ack], window: Self.initialWindow(mss: mss, timestamps: ts != nil), options: opts)
        var tsval: UInt32 = 0
        if case .timestamp(let v, _)? = ts { tsval = v }
        var c = TCPConnection(state: .synRecv, rcvNxt: seq &+ 1, mss: mss, rcvWscale: ws ? rcvWindowScale : 0, timestamps: ts != nil,
                              peerTSval: tsval, listener: record.socket ?? "tcp listener", txRoute: nil)
        c.txRoute6 = out
        c.synack = synack
        c.sndWscale = synOptions.lazy.compactMap { if case .windowScale(let w) = $0 { w } else { nil } }.first ?? 0
        tcpHashinfo.connections[TCPKey(v6: key)] = c
        ip6_xmit(synack, from: key.local, to: key.peer, route: out, why: "SYN-ACK")
        counters.inc(.TcpOutSegs)
    }

    /// ip6_xmit: the IPv6 header (the route's hop limit), Ip6OutRequests, LOCAL_OUT, then
    /// dst_output.
    func ip6_xmit(_ header: TCPHeader, from saddr: IPv6Address, to daddr: IPv6Address, route out: (route: Route6, source: IPv6Address), why: String) {
        guard let dev = out.route.dev else { return }
        let ip = IPv6Header(source: saddr, destination: daddr, nextHeader: .tcp, hopLimit: net.ipv6.idev(dev)?.hopLimit ?? 64)
        let packet = ip.emit(payload: header.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum))
        let f = trace.enter(.ip6_xmit); defer { trace.leave(f) }
        ip6OutRequest(packet.count)
        emitting(why) {
            NF_HOOK(NFHookState(hook: .localOut, outdev: dev, outgoing: packet, family: .ip6)) {
                dst_output6(OutputSKB6(packet: packet, dev: dev, nextHop: out.route.nextHop ?? daddr))
            }
        }
    }
}
