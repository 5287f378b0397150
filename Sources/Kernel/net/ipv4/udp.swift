// net/ipv4/udp.c — modelled: 6.18 (checked: delivered, closed port, bad checksum, broadcast,
// multicast to a joined group with and without a socket),
// 5.4. UdpInDatagrams is counted when the application reads (udp_recvmsg): by default each
// datagram is read at once, as a running service does (the counter moves with the frame); a
// socket whose reader is `never` (--reader PORT=never, or a Recv-Q in the snapshot's ss) leaves
// it queued.
import HostModel
import Wire

/// udp_table: the UDP sockets the host's own sends opened (replay), by local address and port,
/// so ICMP errors about them find a socket.
final class UDPTable {
    var bound: Set<SocketKey> = []
    /// The ports the host's own IPv6 sends went from.
    var bound6: Set<UInt16> = []
    /// The ports whose application was not reading when the snapshot was taken (Recv-Q).
    var waitingPorts: Set<UInt16> = []
}

extension Kernel {
    func __udp4_lib_rcv(_ skb: SKB) {
        let f = trace.enter(.__udp4_lib_rcv); defer { trace.leave(f) }
        let (src, dst, payload, pseudo) = skb.withIPv4 { ($0.source, $0.destination, Array($0.payload), $0.pseudoHeaderSum(length: $0.payload.count)) }
        guard payload.count >= 8 else {
            counters.inc(.UdpInErrors)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "\(payload.count) bytes: shorter than a UDP header")
            return
        }
        let (sport, dport, ulen, check) = payload.withUnsafeBytes { b -> (UInt16, UInt16, Int, UInt16) in
            let u = UDPDatagram.parse(b).value!
            return (u.sourcePort, u.destinationPort, Int(u.length), u.checksum)
        }
        if ulen > payload.count || ulen < 8 {
            counters.inc(.UdpInErrors)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "UDP length \(ulen) does not fit the \(payload.count)-byte payload")
            return
        }
        // udp4_csum_init → skb_checksum_init_zero_check: nothing to verify for CHECKSUM_PARTIAL.
        let csumOK = check == 0 || skb.ipSummed == .partial || skb.uncaptured > 0 || payload.prefix(ulen).withUnsafeBytes { InternetChecksum.verifies($0, initial: pseudo - UInt64(payload.count) + UInt64(ulen)) }
        if skb.dst?.isBroadcast == true || dst.isMulticast {
            // Every socket on the port gets a copy (IP_MULTICAST_ALL: a group any socket joined
            // on the device reaches them all); none: UdpIgnoredMulti, and no ICMP error.
            let g = trace.enter(.__udp4_lib_mcast_deliver); defer { trace.leave(g) }
            let kind = dst.isMulticast ? "multicast datagram to \(dst)" : "broadcast datagram"
            if let s = udp_lookup(dst: dst, dport: dport, dev: skb.dev), csumOK {
                record.socket = s
                let read = udp_recvmsg(port: dport, v6: false)
                handedOff(.deliver, function: "__udp4_lib_mcast_deliver", detail: "\(kind) queued to \(s); \(read)")
            } else {
                counters.inc(.UdpIgnoredMulti)
                kfree_skb_reason("NOT_SPECIFIED", detail: "\(kind) to port \(dport): no socket (no ICMP for \(dst.isMulticast ? "multicast" : "broadcasts"))")
            }
            return
        }
        let sk = udp_lookup(dst: dst, dport: dport, dev: skb.dev)
        if !csumOK {
            counters.inc(.UdpInCsumErrors)
            counters.inc(.UdpInErrors)
            kfree_skb_reason("UDP_CSUM", detail: "bad UDP checksum 0x\(String(check, radix: 16))")
            return
        }
        if let sk {
            record.socket = sk
            let g = trace.enter(.udp_unicast_rcv_skb); defer { trace.leave(g) }
            let h = trace.enter(.udp_queue_rcv_skb); defer { trace.leave(h) }
            let read = udp_recvmsg(port: dport, v6: false)
            handedOff(.deliver, function: "__udp_enqueue_schedule_skb", detail: "queued to \(sk) (\(ulen - 8) bytes from \(src):\(sport)); \(read)")
            return
        }
        counters.inc(.UdpNoPorts)
        icmp_send(skb, type: 3, code: 3, info: 0)
        kfree_skb_reason("NO_SOCKET", detail: "no socket on UDP port \(dport): ICMP port unreachable")
    }

    /// The application's side of a queued datagram: read at once (udp_recvmsg counts
    /// UdpInDatagrams / Udp6InDatagrams), unless the socket's reader is `never`.
    func udp_recvmsg(port: UInt16, v6: Bool) -> String {
        if readerPolicy(port: port) == .never {
            return "not read: the application does not read this socket (\(readerSource(port: port))), so it waits in the receive queue"
        }
        counters.inc(v6 ? .Udp6InDatagrams : .UdpInDatagrams)
        // The read frees the datagram; 6.18 hands it back to the CPU that allocated it
        // (skb_attempt_defer_free), freed with its fragment list at that CPU's next softirq —
        // a time no frame says, so those frees are not reported (verify leaves them out too).
        currentFragmentsMerged = 0
        return "read by the application (udp_recvmsg: \(v6 ? "Udp6InDatagrams" : "UdpInDatagrams"))"
    }

    /// How the application on UDP `port` reads: a --reader given for it, else `never` when the
    /// snapshot's ss showed data waiting on that port (Recv-Q), else at once.
    func readerPolicy(port: UInt16) -> ReaderPolicy {
        ReaderPolicy.of(port: port, given: readers, waiting: udpTable.waitingPorts)
    }

    func readerSource(port: UInt16) -> String {
        readers[port] != nil ? "--reader \(port)=never" : "the snapshot's ss shows a Recv-Q on port \(port)"
    }

    /// The socket a datagram to dst:dport goes to: an exact local address or the wildcard,
    /// unconnected (ss state UNCONN), and bound to the arrival device if bound at all.
    func udp_lookup(dst: IPv4Address, dport: UInt16, dev: Interface) -> String? {
        let candidates = host.sockets.filter { s in
            s.protocolKind == .udp && s.localPort == dport && (s.boundDevice == nil || s.boundDevice == dev.name) && s.isOpen(at: now)
                && (s.localAddress == nil || s.localAddress == .v4(dst)) && s.state == "UNCONN"
        }
        let best = candidates.first { $0.localAddress != nil } ?? candidates.first
        if best == nil, udpTable.bound.contains(SocketKey(local: dst, port: dport)) {
            // The capture shows the host sending from this port: an application's socket is bound there.
            return "udp \(dst):\(dport) (the socket the host was seen sending from)"
        }
        return best.map { "udp \($0.localAddress?.description ?? "0.0.0.0"):\($0.localPort)" }
    }
}

// The sending half of net/ipv4/udp.c — modelled: 6.18 (checked: the stack at
// net_dev_start_xmit, fragments and EMSGSIZE against the kernel in a namespace), 5.4 (the seed
// notes' backtraces). udp_sendmsg → ip_route_output_flow → ip_make_skb (uncorked: the lockless
// path; MSG_MORE/UDP_CORK would take ip_append_data) → udp_send_skb → ip_send_skb.
extension Kernel {
    func udp_sendmsg(_ p: OutgoingPacket, options: SendOptions) {
        let f = trace.enter(.udp_sendmsg); defer { trace.leave(f) }
        let datagram = p.payload
        let sport = UInt16(datagram[0]) << 8 | UInt16(datagram[1])
        let dport = UInt16(datagram[2]) << 8 | UInt16(datagram[3])
        let data = Array(datagram[8...])
        udpTable.bound.insert(SocketKey(local: p.source, port: sport))
        // The socket is bound to the source address only when the route would not choose it.
        let bound = boundSource(p, proto: 17, sport: sport, dport: dport, bind: options.bind)
        record.socket = "udp \(p.source):\(sport) → \(p.destination):\(dport)" + (bound == .any ? "" : " (bound to \(bound))")
            + ", \(options.pmtudisc.constantName)"
        let rt: OutputRoute
        switch ip_route_output_flow(Flow(source: bound, destination: p.destination, iif: nil, oif: multicastInterface(p.destination), tos: p.tos & 0x1c, proto: 17, sport: sport, dport: dport)) {
        case .failure(let e):
            if e.errno == ENETUNREACH { counters.inc(.IpOutNoRoutes) }
            sendFailed(Self.errnoName(e.errno), function: "ip_route_output_flow", detail: routeFailure(e, to: p.destination))
            return
        case .success(let r): rt = r
        }
        var header = UDPHeader(sourcePort: sport, destinationPort: dport)
        header.checksumOverride = nil
        let pseudo = IPv4Header(source: rt.source, destination: p.destination, protocol: .udp)
        let transport = header.emit(payload: data, pseudoHeader: pseudo.pseudoHeaderSum)
        guard let skb = ip_make_skb(p, transport: transport, route: rt, options: options) else { return }
        udp_send_skb(skb)
    }

    func udp_send_skb(_ skb: OutputSKB) {
        let f = trace.enter(.udp_send_skb); defer { trace.leave(f) }
        // UdpOutDatagrams only when ip_send_skb succeeded (an EPERM from netfilter counts nothing
        // here; ENOBUFS, not modelled, would be UdpSndbufErrors).
        if ip_send_skb(skb), record.end?.verdict.action != .drop { counters.inc(.UdpOutDatagrams) }
    }

    /// The address a socket sending `p` is bound to: none (0.0.0.0) when the route picks the
    /// packet's own source anyway, else that source. Decided without tracing (the kernel makes
    /// one lookup, with the socket's binding).
    func boundSource(_ p: OutgoingPacket, proto: UInt8, sport: UInt16 = 0, dport: UInt16 = 0, bind: Bool = false) -> IPv4Address {
        if bind { return p.source }
        let fl = Flow(source: .any, destination: p.destination, iif: nil, oif: nil, tos: p.tos & 0x1c, proto: proto, sport: sport, dport: dport)
        let chosen = untraced { () -> IPv4Address? in
            guard case .success(let r) = ip_route_output_flow(fl) else { return nil }
            return r.source
        }
        return chosen == nil || chosen == p.source ? .any : p.source
    }

    func routeFailure(_ e: FibError, to daddr: IPv4Address) -> String {
        if e.errno == ENETUNREACH { return "no route to \(daddr)" }
        let type = e.route?.type.rawValue ?? "rule"
        return "\(type) route to \(daddr)" + (e.table.map { " in table \($0)" } ?? "") + (e.rule.map { " (rule \($0.priority))" } ?? "")
    }
}
