// net/ipv4/tcp_ipv4.c, tcp_input.c (LISTEN state) — modelled: 6.18 (checked: SYN to a listener
// → SYN-ACK; to a closed port → RST), 5.4. Sequence numbers the kernel randomises (ISN, TS val)
// are 0 in the frames the model emits.
import HostModel
import Wire

/// tcp_hashinfo: the TCP sockets, established and request sockets by their four-tuple (from
/// the handshakes seen and the snapshot's ESTAB sockets), each socket's cached output route
/// (sk_dst_cache), and the sockets whose delayed-ACK timer is armed, or whose retransmit timer
/// is due at once (the timer wheel's).
final class InetHashinfo {
    var connections: [TCPKey: TCPConnection] = [:]
    var dstCache: [TCPKey: OutputRoute] = [:]
    var delackArmed: [TCPKey] = []
    /// SYNs to send again from the timer softirq once the frame's softirq is over.
    var retransmitDue: [(OutgoingPacket, TCPKey)] = []
}

extension Kernel {
    func tcp_v4_rcv(_ skb: SKB) {
        let f = trace.enter(.tcp_v4_rcv); defer { trace.leave(f) }
        currentRoute = skb.dst
        let (src, dst, payload, pseudo) = skb.withIPv4 { ($0.source, $0.destination, Array($0.payload), $0.pseudoHeaderSum(length: $0.payload.count)) }
        // tcp_v4_checksum_init: skb_csum_unnecessary for CHECKSUM_PARTIAL, else verified.
        guard let seg = tcp_rcv_segment(skb, payload, pseudo: pseudo) else { return }
        let dataLength = payload.count - seg.hlen
        let tsval: UInt32? = seg.opts.lazy.compactMap { if case .timestamp(let v, _) = $0 { v } else { nil } }.first
        let key = TCPKey(peer: src, peerPort: seg.sport, local: dst, localPort: seg.dport)
        // __inet_lookup_skb: established (and request) sockets first, then listeners.
        if tcp_rcv_connection(skb, key, seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, opts: seg.opts,
                              headerLength: seg.hlen, dataLength: dataLength, tsval: tsval, doRcv: .tcp_v4_do_rcv) { return }
        if let listener = host.sockets.first(where: { s in
            s.protocolKind == .tcp && s.state == "LISTEN" && s.localPort == seg.dport && s.isOpen(at: now)
                && (s.localAddress == nil || s.localAddress == .v4(dst)) && (s.boundDevice == nil || s.boundDevice == skb.dev.name)
        }) {
            let name = "tcp \(listener.localAddress?.description ?? "0.0.0.0"):\(listener.localPort) LISTEN"
            record.socket = name
            let g = trace.enter(.tcp_v4_do_rcv); defer { trace.leave(g) }
            var dropReason: String? = nil
            do {
                let h = trace.enter(.tcp_rcv_state_process); defer { trace.leave(h) }
                if seg.flags.contains(.ack) {
                    dropReason = "TCP_FLAGS"  // `if (th->ack) return SKB_DROP_REASON_TCP_FLAGS;`
                } else if seg.flags.contains(.rst) {
                    dropReason = "TCP_RESET"
                } else if seg.flags.contains(.syn) {
                    let c = trace.enter(.tcp_v4_conn_request); defer { trace.leave(c) }
                    let r = trace.enter(.tcp_conn_request); defer { trace.leave(r) }
                    if let out = tcp_v4_route_req(to: src, from: dst) {
                        tcp_v4_send_synack(to: src, from: dst, sport: seg.dport, dport: seg.sport, seq: seg.seq, synOptions: seg.opts, listener: name, route: out)
                    }
                    trace.leave(c)
                    consume_skb(.consume, detail: "SYN to \(name): request socket made, SYN-ACK sent")
                    return
                } else {
                    dropReason = "TCP_FLAGS"
                }
                if var r = dropReason {
                    if tcp_rcv_state_process_listener(&r, flags: seg.flags, listener: name) { return }
                    dropReason = r
                }
            }
            // tcp_v4_do_rcv: `reset: tcp_v4_send_reset(…); discard: kfree_skb_reason(…)`.
            if dropReason == "TCP_FLAGS" || seg.flags.contains(.ack) {
                tcp_v4_send_reset(to: src, from: dst, sport: seg.dport, dport: seg.sport, seq: seg.seq, ack: seg.ack,
                                  flags: seg.flags, dataLength: dataLength)
            }
            kfree_skb_reason(dropReason ?? "NOT_SPECIFIED", detail: seg.flags.contains(.rst) ? "RST to a listener: ignored"
                             : "\(seg.flags.contains(.ack) ? "an ACK" : "a segment without SYN") to \(name) with no request socket: RST sent")
            return
        }
        if seg.flags.contains(.rst) {
            kfree_skb_reason("NO_SOCKET", detail: "RST to port \(seg.dport) with no socket: ignored")
            return
        }
        tcp_v4_send_reset(to: src, from: dst, sport: seg.dport, dport: seg.sport, seq: seg.seq, ack: seg.ack, flags: seg.flags, dataLength: dataLength)
        kfree_skb_reason("NO_SOCKET", detail: "no socket on TCP port \(seg.dport): RST sent")
    }

    /// The segment's established or request socket (found first, as __inet_lookup_skb does),
    /// for both families: true when one took it.
    func tcp_rcv_connection(_ skb: SKB, _ key: TCPKey, seq: UInt32, ack: UInt32, flags: TCPFlags, window: UInt16, opts: [TCPOption],
                            headerLength: Int, dataLength: Int, tsval: UInt32?, doRcv: KFunc) -> Bool {
        if var c = tcpHashinfo.connections[key] {
            defer { tcpHashinfo.connections[key] = c.state == .closed ? nil : c }
            if c.state == .synSent {
                let tsecr: UInt32? = opts.lazy.compactMap { if case .timestamp(_, let e) = $0 { e } else { nil } }.first
                let wscale: UInt8? = opts.lazy.compactMap { if case .windowScale(let w) = $0 { w } else { nil } }.first
                tcp_rcv_synsent_state_process(skb, key, &c, seq: seq, ack: ack, flags: flags, window: window, synAckWscale: wscale,
                                              dataLength: dataLength, tsval: tsval, tsecr: tsecr)
                return true
            }
            if c.state == .synRecv {
                record.socket = "tcp \(key.localText):\(key.localPort) ← \(key.peerText):\(key.peerPort) SYN_RECV (request socket of \(c.listener))"
                switch tcp_check_req(skb, key, &c, seq: seq, ack: ack, window: window, dataLength: dataLength, flags: flags) {
                case .child:
                    tcp_child_process(skb, key, &c, seq: seq, ack: ack, window: window, headerLength: headerLength,
                                      flags: flags, dataLength: dataLength, tsval: tsval)
                    return true
                case .dropped(let reason, let detail):
                    // 6.1's tcp_check_req gives no reason: tcp_v4_rcv discards with NOT_SPECIFIED.
                    kfree_skb_reason(profile.kernel == .v6_1 ? "NOT_SPECIFIED" : reason, detail: detail)
                    return true
                case .listener:
                    record.socket = nil
                }
            } else {
                let g = trace.enter(doRcv); defer { trace.leave(g) }
                tcp_rcv_established(skb, key, &c, seq: seq, ack: ack, window: window, headerLength: headerLength,
                                    flags: flags, dataLength: dataLength, tsval: tsval)
                return true
            }
        }
        return false
    }

    /// tcp_v4_send_reset: RST|ACK acknowledging a segment that had no ACK; RST with the
    /// segment's ack number as sequence otherwise (RFC 9293 3.10.7.1).
    func tcp_v4_send_reset(to daddr: IPv4Address, from saddr: IPv4Address, sport: UInt16, dport: UInt16,
                           seq: UInt32, ack: UInt32, flags: TCPFlags, dataLength: Int) {
        let f = trace.enter(.tcp_v4_send_reset); defer { trace.leave(f) }
        var rst: TCPHeader
        if flags.contains(.ack) {
            rst = TCPHeader(sourcePort: sport, destinationPort: dport, sequenceNumber: ack, flags: .rst, window: 0)
        } else {
            let consumed = UInt32(dataLength) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
            rst = TCPHeader(sourcePort: sport, destinationPort: dport, sequenceNumber: 0, ackNumber: seq &+ consumed, flags: [.rst, .ack], window: 0)
        }
        counters.inc(.TcpOutRsts)
        counters.inc(.TcpOutSegs)
        ip_send_unicast_reply(rst, to: daddr, from: saddr, why: "TCP RST")
    }

    /// The SYN-ACK for a SYN to a listener: MSS from the device MTU; SACK, timestamps and window
    /// scaling only when the SYN offered them.
    /// tcp_conn_request's af_ops->route_req: the SYN-ACK's route, looked up before it is made
    /// (inet_csk_route_req → ip_route_output_flow), as the 6.1 guest's function trace shows.
    func tcp_v4_route_req(to daddr: IPv4Address, from saddr: IPv4Address) -> (dev: Interface, nextHop: IPv4Address, source: IPv4Address)? {
        let f = trace.enter(.tcp_v4_route_req); defer { trace.leave(f) }
        let g = trace.enter(.inet_csk_route_req); defer { trace.leave(g) }
        return tcpRouteOutputFlow(to: daddr, from: saddr)
    }

    /// ip_route_output_flow for a TCP segment the host answers with (a SYN-ACK, a RST, an ACK).
    func tcpRouteOutputFlow(to daddr: IPv4Address, from saddr: IPv4Address) -> (dev: Interface, nextHop: IPv4Address, source: IPv4Address)? {
        let f = trace.enter(.ip_route_output_flow); defer { trace.leave(f) }
        return ip_route_output(daddr: daddr, saddr: saddr, tos: 0, proto: 6)
    }

    func tcp_v4_send_synack(to daddr: IPv4Address, from saddr: IPv4Address, sport: UInt16, dport: UInt16, seq: UInt32, synOptions: [TCPOption], listener: String,
                            route out: (dev: Interface, nextHop: IPv4Address, source: IPv4Address)) {
        let f = trace.enter(.tcp_v4_send_synack); defer { trace.leave(f) }
        var opts: [TCPOption] = [.maxSegmentSize(UInt16(out.dev.mtu - 40))]
        let sack = synOptions.contains(.sackPermitted)
        let ts = synOptions.first { if case .timestamp = $0 { true } else { false } }
        let ws = synOptions.contains { if case .windowScale = $0 { true } else { false } }
        if sack && ts != nil { opts.append(.sackPermitted) }
        if case .timestamp(let v, _)? = ts { opts.append(.timestamp(value: 0, echo: v)) }
        if sack && ts == nil { opts += [.noOperation, .noOperation, .sackPermitted] }
        if ws { opts += [.noOperation, .windowScale(rcvWindowScale)] }
        let mss = out.dev.mtu - 40
        let synack = TCPHeader(sourcePort: sport, destinationPort: dport, sequenceNumber: 0, ackNumber: seq &+ 1,
                               flags: [.syn, .ack], window: Self.initialWindow(mss: mss, timestamps: ts != nil), options: opts)
        var tsval: UInt32 = 0
        if case .timestamp(let v, _)? = ts { tsval = v }
        var c = TCPConnection(state: .synRecv, rcvNxt: seq &+ 1, mss: mss, rcvWscale: ws ? rcvWindowScale : 0, timestamps: ts != nil,
                              peerTSval: tsval, listener: listener, txRoute: out)
        c.sndWscale = synOptions.lazy.compactMap { if case .windowScale(let w) = $0 { w } else { nil } }.first ?? 0
        c.synack = synack
        tcpHashinfo.connections[TCPKey(peer: daddr, peerPort: dport, local: saddr, localPort: sport)] = c
        counters.inc(.TcpOutSegs)
        send_tcp(synack, to: daddr, from: saddr, route: out, via: .ip_build_and_send_pkt, why: "SYN-ACK")
    }

    /// tcp_select_initial_window: rcv_wscale = ilog2(max(tcp_rmem[2], rmem_max)) - 15, in 0…14.
    var rcvWindowScale: UInt8 {
        let rmem = (host.sysctls["net.ipv4.tcp_rmem"] ?? "4096 131072 6291456")
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.last ?? 6_291_456
        let space = max(rmem, host.sysctls.int("net.core.rmem_max") ?? 212_992)
        let ilog2 = Int.bitWidth - 1 - space.leadingZeroBitCount
        return UInt8(min(14, max(0, ilog2 - 15)))
    }

    /// ip_send_unicast_reply (a RST, or an ACK no full socket sends): the route
    /// (ip_route_output_flow), then the segment appended to the per-CPU reply socket and sent
    /// by ip_push_pending_frames → __ip_make_skb, ip_send_skb (the 6.1 guest's function trace).
    func ip_send_unicast_reply(_ header: TCPHeader, to daddr: IPv4Address, from saddr: IPv4Address, why: String) {
        let f = trace.enter(.ip_send_unicast_reply); defer { trace.leave(f) }
        guard let out = tcpRouteOutputFlow(to: daddr, from: saddr) else { return }
        let p = trace.enter(.ip_push_pending_frames); defer { trace.leave(p) }
        do { let m = trace.enter(.__ip_make_skb); trace.leave(m) }
        send_tcp(header, to: daddr, from: saddr, route: out, via: .ip_send_skb, why: why)
    }

    func send_tcp(_ header: TCPHeader, to daddr: IPv4Address, from saddr: IPv4Address,
                  route out: (dev: Interface, nextHop: IPv4Address, source: IPv4Address), via: KFunc, why: String) {
        let ip = IPv4Header(source: saddr, destination: daddr, protocol: .tcp,
                            ttl: defaultTTL, ident: 0, dontFrag: true)
        let f = trace.enter(via); defer { trace.leave(f) }
        emitting(why) {
            ip_local_out(ip.emit(payload: header.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum)), dev: out.dev, nextHop: out.nextHop)
        }
    }
}

/// What tcp_v4_rcv and tcp_v6_rcv read of a segment's header.
struct TCPSegmentFields {
    let sport: UInt16, dport: UInt16, seq: UInt32, ack: UInt32, flags: TCPFlags, opts: [TCPOption], hlen: Int, window: UInt16
}

extension Kernel {
    /// The checks both families' receive functions make first, in their order: PACKET_HOST,
    /// TcpInSegs, a whole header, the checksum (skb_csum_unnecessary for CHECKSUM_PARTIAL).
    /// Nil: dropped (reported in the caller's frame: this is no kernel function of its own).
    func tcp_rcv_segment(_ skb: SKB, _ payload: [UInt8], pseudo: UInt64) -> TCPSegmentFields? {
        guard skb.pktType == .host else {
            kfree_skb_reason("NOT_SPECIFIED", detail: "TCP only for PACKET_HOST")
            return nil
        }
        counters.inc(.TcpInSegs)
        guard payload.count >= 20 else {
            kfree_skb_reason("NOT_SPECIFIED", detail: "shorter than a TCP header")
            return nil
        }
        guard let seg = payload.withUnsafeBytes({ b -> TCPSegmentFields? in
            guard let t = TCPSegment.parse(b).value else { return nil }
            return TCPSegmentFields(sport: t.sourcePort, dport: t.destinationPort, seq: t.sequenceNumber, ack: t.ackNumber, flags: t.flags,
                                    opts: t.options.value ?? [], hlen: t.headerLength, window: t.window)
        }) else {
            counters.inc(.TcpInErrs)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "TCP data offset below 5 or past the segment")
            return nil
        }
        let csumOK = skb.ipSummed == .partial || skb.uncaptured > 0 || payload.withUnsafeBytes { InternetChecksum.verifies($0, initial: pseudo) }
        if !csumOK {
            counters.inc(.TcpInCsumErrors)
            counters.inc(.TcpInErrs)
            kfree_skb_reason("TCP_CSUM", detail: "bad TCP checksum")
            return nil
        }
        return seg
    }
}
