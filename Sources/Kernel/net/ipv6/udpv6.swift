// net/ipv6/udp.c — UDP over IPv6 on receive (6.18, 5.4): udpv6_rcv → __udp6_lib_rcv: length,
// the checksum (mandatory: a zero one is an error, RFC 8200 8.1), the socket (an IPv6 one bound
// to the address or to ::, dual-stack `*` sockets included), else Udp6NoPorts and an ICMPv6 port
// unreachable; to a group, __udp6_lib_mcast_deliver.
import HostModel
import Wire

extension Kernel {
    func udpv6_rcv(_ skb: SKB) {
        let f = trace.enter(.udpv6_rcv); defer { trace.leave(f) }
        trace.tailCall(from: f) { __udp6_lib_rcv(skb) }
    }

    func __udp6_lib_rcv(_ skb: SKB) {
        let f = trace.enter(.__udp6_lib_rcv); defer { trace.leave(f) }
        let payload = skb.networkBytes(from: skb.ip6cb.transport)
        let (src, dst) = skb.withIPv6 { ($0.source, $0.destination) }
        guard payload.count >= 8 else {
            counters.inc(.Udp6InErrors)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "\(payload.count) bytes: shorter than a UDP header")
            return
        }
        let sport = UInt16(payload[0]) << 8 | UInt16(payload[1]), dport = UInt16(payload[2]) << 8 | UInt16(payload[3])
        var ulen = Int(payload[4]) << 8 | Int(payload[5])
        let check = UInt16(payload[6]) << 8 | UInt16(payload[7])
        if ulen == 0 && ulen <= payload.count { ulen = payload.count }   // a jumbogram's
        if ulen > payload.count || ulen < 8 {
            counters.inc(.Udp6InErrors)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "UDP length \(ulen) does not fit the \(payload.count)-byte payload")
            return
        }
        let pseudo = InternetChecksum.pseudoHeader(source: src, destination: dst, nextHeader: 17, length: ulen)
        // udp6_csum_init accepts a zero checksum (RFC 6936: the socket decides); a wrong one is
        // found when the checksum is completed (the socket's queue, or before a port unreachable).
        let csumOK = skb.ipSummed == .partial || skb.uncaptured > 0
            || payload.prefix(ulen).withUnsafeBytes { InternetChecksum.verifies($0, initial: pseudo) }
        func csumError(_ reason: String, _ why: String) {
            counters.inc(.Udp6InCsumErrors)
            counters.inc(.Udp6InErrors)
            kfree_skb_reason(reason, detail: why)
        }
        if dst.isMulticast {
            let g = trace.enter(.__udp6_lib_mcast_deliver); defer { trace.leave(g) }
            if let s = udp6_lookup(dst: dst, dport: dport, dev: skb.dev), csumOK {
                record.socket = s.name
                udp_queue_rcv_one_skb(skb, sk: s, port: dport, v6: true, what: "multicast datagram queued to \(s)", function: "__udp6_lib_mcast_deliver")
            } else {
                counters.inc(.Udp6IgnoredMulti)
                kfree_skb_reason("NOT_SPECIFIED", detail: "multicast datagram to port \(dport): no socket joined (no ICMPv6 for multicast)")
            }
            return
        }
        // udp_v6_early_demux tied the datagram to its connected socket (skb_steal_sock): that
        // socket takes it and keeps its route for the next (udp6_sk_rx_dst_set).
        let stolen = skb.earlyDemuxSocket
        skb.earlyDemuxSocket = nil
        if let sk = stolen, let rt = skb.dst6 { udpTable.rxDst6[sk.name] = rt }
        if let sk = stolen ?? udp6_lookup(dst: dst, dport: dport, dev: skb.dev, src: src, sport: sport) {
            if check == 0 {
                return csumError("UDP_CSUM", "a zero UDP checksum to \(sk), which does not allow one (UDP_NO_CHECK6_RX off)")
            }
            if !csumOK { return csumError("UDP_CSUM", "bad UDP checksum 0x\(String(check, radix: 16))") }
            record.socket = sk.name
            let g = trace.enter(.udp6_unicast_rcv_skb); defer { trace.leave(g) }
            let h = trace.enter(.udpv6_queue_rcv_skb); defer { trace.leave(h) }
            udp_queue_rcv_one_skb(skb, sk: sk, port: dport, v6: true, what: "queued to \(sk) (\(ulen - 8) bytes from [\(src)]:\(sport))", function: "__udp_enqueue_schedule_skb")
            return
        }
        if check == 0 { return csumError("NO_SOCKET", "no socket on UDP port \(dport), and a zero checksum: no ICMPv6 about it") }
        if !csumOK { return csumError("NO_SOCKET", "no socket on UDP port \(dport), and a bad checksum 0x\(String(check, radix: 16))") }
        counters.inc(.Udp6NoPorts)
        icmpv6_send(skb, type: 1, code: 4, info: 0)
        kfree_skb_reason("NO_SOCKET", detail: "no socket on UDP port \(dport): ICMPv6 port unreachable")
    }

    /// The socket a datagram to [dst]:dport (from [src]:sport) goes to: the connect(2)ed one
    /// whose peer sent it (ss's ESTAB), else the one bound to the exact address, else the
    /// wildcard's (compute_score).
    func udp6_lookup(dst: IPv6Address, dport: UInt16, dev: Interface, src: IPv6Address? = nil, sport: UInt16? = nil) -> UDPLookup? {
        let candidates = host.sockets.filter { s in
            guard s.protocolKind == .udp && s.isV6 && s.localPort == dport && (s.boundDevice == nil || s.boundDevice == dev.name)
                    && s.isOpen(at: now) && (s.localAddress == nil || s.localAddress == .v6(dst)) else { return false }
            if s.state == "UNCONN" { return true }
            guard let src, let sport else { return false }
            return s.isConnected(to: .v6(src), port: sport)
        }
        let best = candidates.first { $0.remoteAddress != nil } ?? candidates.first { $0.localAddress != nil } ?? candidates.first
        return best.map { UDPLookup($0, v6: true) }
    }

    /// udp_v6_early_demux (ip6_rcv_finish_core, for a UDP datagram): a unicast one (PACKET_HOST)
    /// from the peer a socket is connect(2)ed to is tied to it (__udp6_lib_demux_lookup, inlined:
    /// INET6_MATCH on both addresses and ports), and the socket's cached route (sk_rx_dst, the
    /// previous datagram's) spares the lookup. No multicast here, unlike IPv4's.
    func udp_v6_early_demux(_ skb: SKB) {
        let f = trace.enter(.udp_v6_early_demux); defer { trace.leave(f) }
        guard skb.pktType == .host, !udpTable.connected.isEmpty else { return }
        let (src, dst) = skb.withIPv6 { ($0.source, $0.destination) }
        let o = skb.networkOffset + 40   // the transport header right after the fixed one
        guard skb.frame.count >= o + 4 else { return }
        let sport = UInt16(skb.frame[o]) << 8 | UInt16(skb.frame[o + 1]), dport = UInt16(skb.frame[o + 2]) << 8 | UInt16(skb.frame[o + 3])
        guard let s = udpConnectedSocket(local: .v6(dst), port: dport, peer: .v6(src), peerPort: sport, dev: skb.dev) else { return }
        let sk = UDPLookup(s, v6: true)
        skb.earlyDemuxSocket = sk
        if let cached = udpTable.rxDst6[sk.name] { skb.dst6 = cached }
    }
}

// The sending half of net/ipv6/udp.c (6.18, 5.4): udpv6_sendmsg → ip6_sk_dst_lookup_flow (the
// route and source) → ip6_make_skb → __ip6_append_data (above the MTU: EMSGSIZE with
// IPV6_PMTUDISC_DO or PROBE, else MTU-sized pieces ip6_fragment sends with a Fragment header)
// → udp_v6_send_skb → ip6_send_skb → ip6_local_out.
extension Kernel {
    func udpv6_sendmsg(_ p: OutgoingPacket6, options: SendOptions) {
        let f = trace.enter(.udpv6_sendmsg); defer { trace.leave(f) }
        let sport = UInt16(p.payload[0]) << 8 | UInt16(p.payload[1]), dport = UInt16(p.payload[2]) << 8 | UInt16(p.payload[3])
        // Bound to the packet's source when the route would pick another (or when told to).
        let chosen = untraced { ip6_route_output(daddr: p.destination, saddr: nil, oif: nil, proto: 17)?.source }
        let bound = options.bind || (chosen != nil && chosen != p.source && isLocal6(p.source))
        record.socket = "udp [::]:\(sport) → [\(p.destination)]:\(dport)" + (bound ? " (bound to \(p.source))" : "")
        udpTable.bound6.insert(sport)
        let g = trace.enter(.ip6_sk_dst_lookup_flow)
        let out = ip6_route_output(daddr: p.destination, saddr: bound ? p.source : nil, oif: nil, proto: 17)
        guard let out, let dev = out.route.dev else {
            // ip6_dst_lookup_tail: with no source yet, one is picked and the lookup made again
            // (the first result "never existed"); a bound socket's source is set, one lookup.
            if !bound, let saddr = host.interfaces.lazy.filter({ !$0.isLoopback }).compactMap({ self.ipv6_dev_get_saddr($0, daddr: p.destination) }).first {
                _ = ip6_route_output(daddr: p.destination, saddr: saddr, oif: nil, proto: 17)
            }
            trace.leave(g)
            // The route's dst.error: ip6_null_entry's ENETUNREACH, or the reject route's; only
            // ENETUNREACH counts Ip6OutNoRoutes.
            let rejected = [RouteTable.local, .main].lazy.compactMap { self.net.ipv6.fib6.lookup($0, p.destination)?.type }.first
            let errno: String
            switch rejected {
            case .unreachable?: errno = "EHOSTUNREACH"
            case .prohibit?: errno = "EACCES"
            case .blackhole?: errno = "EINVAL"
            default: errno = "ENETUNREACH"
            }
            if errno == "ENETUNREACH" { counters.inc(.Ip6OutNoRoutes) }
            sendFailed(errno, function: "ip6_sk_dst_lookup_flow", detail: rejected.map { "an \($0.rawValue) route to \(p.destination)" } ?? "no route to \(p.destination)")
            return
        }
        trace.leave(g)
        let data = Array(p.payload[8...])
        let transport = UDPHeader(sourcePort: sport, destinationPort: dport)
            .emit(payload: data, pseudoHeader: { InternetChecksum.pseudoHeader(source: out.source, destination: p.destination, nextHeader: 17, length: $0) })
        // dst6_mtu: a route exception's PMTU (packet too big), the route's mtu, else the device's;
        // IPV6_PMTUDISC_PROBE takes the device's.
        let learned = net.ipv6.pmtuExceptions[p.destination].flatMap { $0.expires > now ? $0.mtu : nil }
        let mtu = options.pmtudisc == .probe ? dev.mtu : learned ?? out.route.route?.mtu ?? dev.mtu
        let h = trace.enter(.ip6_make_skb); defer { trace.leave(h) }
        do {
            let a = trace.enter(.__ip6_append_data); defer { trace.leave(a) }
            if transport.count > mtu - 40 && (options.pmtudisc == .do || options.pmtudisc == .probe) {
                sendFailed("EMSGSIZE", function: "__ip6_append_data",
                           detail: "\(transport.count) bytes > the \(mtu - 40) an MTU of \(mtu) leaves, and IPV6_MTU_DISCOVER is \(options.pmtudisc.rawValue): no fragments")
                return
            }
        }
        let hl = p.hopLimit
        let packet = IPv6Header(source: out.source, destination: p.destination, nextHeader: .udp, hopLimit: hl,
                                trafficClass: p.trafficClass).emit(payload: transport)
        do {
            let m = trace.enter(.__ip6_make_skb); defer { trace.leave(m) }
            ip6OutRequest(packet.count)
        }
        trace.leave(h)
        let s = trace.enter(.udp_v6_send_skb); defer { trace.leave(s) }
        let k = trace.enter(.ip6_send_skb); defer { trace.leave(k) }
        // ip6_send_skb: LOCAL_OUT's drop is the call's EPERM (Ip6OutDiscards), as for IPv4.
        guard ip6_local_out(OutputSKB6(packet: packet, dev: dev, nextHop: out.route.nextHop ?? p.destination, mtu: mtu)) else {
            netfilterRefusedSend(v6: true)
            return
        }
        if record.end?.verdict.action != .drop { counters.inc(.Udp6OutDatagrams) }
    }
}
