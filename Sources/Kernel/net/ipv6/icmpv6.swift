// net/ipv6/icmp.c — modelled: 6.18 (checked: echo reply to a global and a link-local address,
// bad checksum, the errors of ip6_pkt_drop, ip6_forward and ip6_protocol_deliver_rcu), 5.4.
//   icmpv6_rcv: Icmp6InMsgs, checksum (ICMP_CSUM), per-type counters, then echo request →
//   icmpv6_echo_reply, neighbour discovery → ndisc_rcv, MLD → igmp6_event_*, errors →
//   icmpv6_notify; the skb ends in icmpv6_rcv (consumed, or the handler's drop reason).
//   icmp6_send: the RFC 4443 2.4(e) checks, then the error quoting as much of the packet as
//   fits in 1280 bytes, from the destination when it was ours.
import HostModel
import Wire

extension Kernel {
    /// ICMP6MSGIN_INC_STATS: the per-type row and its named twin.
    func icmp6MsgIn(_ type: UInt8) {
        counters.inc(.Icmp6InType(type))
        if let c = SNMPCounter.icmp6Named(type, out: false) { counters.inc(c) }
    }

    func icmp6MsgOut(_ type: UInt8) {
        counters.inc(.Icmp6OutType(type))
        if let c = SNMPCounter.icmp6Named(type, out: true) { counters.inc(c) }
        counters.inc(.Icmp6OutMsgs)
    }

    func icmpv6_rcv(_ skb: SKB) {
        let f = trace.enter(.icmpv6_rcv); defer { trace.leave(f) }
        let at = skb.ip6cb.transport
        let message = skb.networkBytes(from: at)
        let (src, dst) = skb.withIPv6 { ($0.source, $0.destination) }
        counters.inc(.Icmp6InMsgs)
        let pseudo = InternetChecksum.pseudoHeader(source: src, destination: dst, nextHeader: 58, length: message.count)
        let ok = message.count >= 4 && (skb.uncaptured > 0 || skb.ipSummed == .partial
                                         || message.withUnsafeBytes { InternetChecksum.verifies($0, initial: pseudo) })
        guard ok else {
            counters.inc(.Icmp6InCsumErrors)
            counters.inc(.Icmp6InErrors)
            kfree_skb_reason("ICMP_CSUM", detail: message.count < 4 ? "ICMPv6 message shorter than its header" : "bad ICMPv6 checksum")
            return
        }
        guard message.count >= 8 else {
            counters.inc(.Icmp6InErrors)
            kfree_skb_reason("NOT_SPECIFIED", detail: "ICMPv6 message shorter than 8 bytes (pskb_pull)")
            return
        }
        let type = message[0]
        icmp6MsgIn(type)
        switch type {
        case 128:
            if net.ipv6.sysctl.icmpv6EchoIgnoreAll {
                handled("echo request ignored (net.ipv6.icmp.echo_ignore_all)")
                return
            }
            let answered = icmpv6_echo_reply(skb, request: message)
            handled(answered ? "ICMPv6 echo request answered with an echo reply" : "ICMPv6 echo request: no echo reply leaves")
        case 129:
            ping_rcv6(skb, reply: message)
        case 133, 134, 135, 136, 137:
            if let reason = ndisc_rcv(skb, message: message) {
                kfree_skb_reason(reason.name, detail: reason.detail)
            } else {
                handled(record.socket ?? "neighbour discovery message handled")
            }
        case 130, 131:
            // igmp6_event_query / igmp6_event_report: queued to the device's MLD work, which
            // consumes it moments later (mld_query_work / mld_report_work).
            handedOff(.queue, function: "icmpv6_rcv", detail: "MLD \(type == 130 ? "query" : "report"): handed to the device's MLD work")
            sideEnd("consume_skb", reason: nil, location: type == 130 ? "mld_query_work" : "mld_report_work")
        case 1, 2, 3, 4:
            // icmpv6_notify returns SKB_CONSUMED: icmpv6_rcv frees it as consumed.
            if let what = icmpv6_notify(skb, message: message) { handled(what) }
        default:
            consume_skb(.consume, detail: "ICMPv6 type \(type) " + (type & 0x80 != 0 ? "(informational) ignored" : "passed to icmpv6_notify"))
        }
    }

    /// The end of a message icmpv6_rcv handed to echo, neighbour discovery or icmpv6_notify. Their
    /// drop reasons came after 6.1 (6.12's icmpv6_echo_reply, ndisc_rcv and icmpv6_notify return one): before,
    /// icmpv6_rcv's reason stays NOT_SPECIFIED and the skb is freed as a drop (6.1's guest:
    /// kfree_skb NOT_SPECIFIED at icmpv6_rcv after each echo reply; 5.4: kfree_skb).
    func handled(_ detail: String) {
        if profile.kernel == .v6_18 { consume_skb(.consume, detail: detail); return }
        kfree_skb_reason("NOT_SPECIFIED", detail: detail + "; freed as a drop all the same: this kernel's icmpv6_rcv's reason stays NOT_SPECIFIED unless ping_rcv clears it")
    }

    /// icmpv6_notify: an error about a packet of ours goes to the protocol's err_handler (UDP:
    /// __udp6_lib_err, which in 6.18 first updates the route's PMTU for a packet too big, socket
    /// or not — udpv6_err_update_exception — and in 6.1 only for its socket), then to raw
    /// sockets; the skb is consumed. Without a socket to tell, Icmp6InErrors.
    /// The consumed skb's description; nil when it was dropped.
    func icmpv6_notify(_ skb: SKB, message: [UInt8]) -> String? {
        let f = trace.enter(.icmpv6_notify); defer { trace.leave(f) }
        let type = message[0]
        let info = UInt32(message[4]) << 24 | UInt32(message[5]) << 16 | UInt32(message[6]) << 8 | UInt32(message[7])
        guard message.count >= 8 + 40 + 8 else {
            counters.inc(.Icmp6InErrors)
            trace.leave(f)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "an ICMPv6 error quoting less than an IPv6 header and 8 bytes")
            return nil
        }
        let inner = Array(message[8...])
        let (qsrc, qdst) = inner.withUnsafeBytes { (IPv6Address($0, at: 8), IPv6Address($0, at: 24)) }
        let next = inner[6]
        var what = "ICMPv6 \(Self.icmpv6Name(type, message[1])) about \(qsrc) → \(qdst)"
        if next == 17 {
            let g = trace.enter(.udpv6_err); defer { trace.leave(g) }
            let h = trace.enter(.__udp6_lib_err); defer { trace.leave(h) }
            // 6.18 (6.12 too: udpv6_err_update_exception) makes the route exception first,
            // socket or not; 6.1 only for a socket, through ip6_sk_update_pmtu (its guest's trace
            // of ipv6-udp-pmtu-learned: __udp6_lib_lookup, then ip6_sk_update_pmtu →
            // ip6_update_pmtu with the socket's oif, none).
            if type == 2 && profile.kernel == .v6_18 { what += "; " + ip6_update_pmtu(saddr: qsrc, daddr: qdst, mtu: Int(info), oif: skb.dev) }
            let sport = UInt16(inner[40]) << 8 | UInt16(inner[41])
            if udpTable.bound6.contains(sport) {
                if type == 2 && profile.kernel != .v6_18 {
                    let s = trace.enter(.ip6_sk_update_pmtu); defer { trace.leave(s) }
                    what += "; " + ip6_update_pmtu(saddr: qsrc, daddr: qdst, mtu: Int(info), oif: nil)
                }
                // 6.18's ip6_sk_update_pmtu finds the exception just made: no second lookup (seen on 6.18).
                what += "; the socket on port \(sport) is told"
            } else {
                counters.inc(.Icmp6InErrors)
                what += "; no socket of the host's it is about"
            }
        } else {
            what += "; no handler of the host's it is about"
        }
        return what
    }

    /// ip6_update_pmtu → __ip6_rt_update_pmtu: a route exception with the smaller MTU (never
    /// below 1280), for 600 s (ip6_rt_mtu_expires).
    func ip6_update_pmtu(saddr: IPv6Address, daddr: IPv6Address, mtu: Int, oif: Interface?) -> String {
        let f = trace.enter(.ip6_update_pmtu); defer { trace.leave(f) }
        guard let out = ip6_route_output(daddr: daddr, saddr: saddr, oif: oif, proto: 0), let dev = out.route.dev else { return "no route to \(daddr)" }
        let g = trace.enter(.__ip6_rt_update_pmtu); defer { trace.leave(g) }
        let current = net.ipv6.pmtuExceptions[daddr].flatMap { $0.expires > now ? $0.mtu : nil } ?? out.route.route?.mtu ?? dev.mtu
        let m = max(1280, mtu)
        guard m < current else { return "path MTU to \(daddr) unchanged (\(current))" }
        net.ipv6.pmtuExceptions[daddr] = PMTUException(mtu: m, expires: now + 600, locked: false)
        return "path MTU to \(daddr) is now \(m)"
    }

    /// icmpv6_echo_reply: the request's data back, from the address it was sent to (unicast),
    /// out of the interface it came in on.
    func icmpv6_echo_reply(_ skb: SKB, request: [UInt8]) -> Bool {
        let f = trace.enter(.icmpv6_echo_reply); defer { trace.leave(f) }
        let (src, dst, tclass) = skb.withIPv6 { ($0.source, $0.destination, $0.trafficClass) }
        let unicastToUs = skb.dst6?.route?.type == .local
        if skb.dst6?.route?.type == .anycast && net.ipv6.sysctl.icmpv6EchoIgnoreAnycast { return false }
        if dst.isMulticast && net.ipv6.sysctl.icmpv6EchoIgnoreMulticast { return false }
        guard let out = ip6_dst_lookup(daddr: src, saddr: unicastToUs ? dst : nil, oif: skb.dev, proto: 58) else { return false }
        var reply = request
        reply[0] = 129
        let before = record.emitted.count
        icmpv6_push_pending_frames(reply, to: src, route: out, tclass: tclass, what: "echo reply")
        return record.emitted.count > before
    }

    /// ip6_dst_lookup → ip6_route_output (with the input interface as flowi6_oif).
    func ip6_dst_lookup(daddr: IPv6Address, saddr: IPv6Address?, oif: Interface?, proto: UInt8) -> (route: Route6, source: IPv6Address)? {
        let f = trace.enter(.ip6_dst_lookup); defer { trace.leave(f) }
        return ip6_route_output(daddr: daddr, saddr: saddr, oif: oif, proto: proto)
    }

    /// icmpv6_param_prob: a parameter problem pointing at `pointer` (from the network header).
    func icmpv6_param_prob(_ skb: SKB, code: UInt8, pointer: Int) {
        icmpv6_send(skb, type: 4, code: code, info: UInt32(pointer))
    }

    /// icmpv6_send → icmp6_send.
    func icmpv6_send(_ skb: SKB, type: UInt8, code: UInt8, info: UInt32) {
        let f = trace.enter(.icmp6_send); defer { trace.leave(f) }
        let (src, dst) = skb.withIPv6 { ($0.source, $0.destination) }
        var saddr: IPv6Address? = net.ipv6.idev(skb.dev)?.addresses.contains(dst) == true || isLocal6(dst) ? dst : nil
        if dst.isMulticast || skb.pktType != .host {
            let unrecognisedOptionToMulticast = type == 4 && code == 2 && Int(info) < skb.length
                && skb.frame[skb.networkOffset + Int(info)] >> 6 == 2
            guard type == 2 || unrecognisedOptionToMulticast else { return }
            saddr = nil
        }
        if src.isUnspecified || src.isMulticast { return }
        if is_ineligible(skb) { return }
        let oif = src.isLinkLocal ? skb.dev : nil
        // icmpv6_global_allow (not for what came in on loopback): the namespace's one bucket,
        // shared with ICMPv4 (a refusal counts IcmpOutRateLimitGlobal, IPv4's MIB).
        let limited = type != 2 && type < 128
        if limited, !skb.dev.isLoopback, !icmp_global_allow() { return }
        // No source yet: icmpv6_rt_has_prefsrc looks the route up (a preferred source?); our
        // routes have none, so ipv6_dev_get_saddr picks one on the device it came in on.
        if saddr == nil {
            let g = trace.enter(.icmpv6_rt_has_prefsrc); defer { trace.leave(g) }
            _ = ip6_route_output(daddr: src, saddr: nil, oif: oif, proto: 58)
            saddr = ipv6_dev_get_saddr(skb.dev, daddr: src)
        }
        // A rate-limited type (net.ipv6.icmp.ratemask 0-1,3-127): icmpv6_xrlim_allow looks it up;
        // no route there is Ip6OutNoRoutes, and the error is not sent (Icmp6OutRateLimitHost);
        // else the destination's token bucket (inet_peer_xrlim_allow: one message per
        // net.ipv6.icmp.ratelimit, a burst of 6), not out of loopback. 6.12's source shifts the
        // timeout right by (128 - the route's prefix length) / 32 ("more bandwidth to wider
        // prefixes"); 6.18 here does not (measured: bursts over a /64 route get one error per
        // 100 ms, the full ratelimit), so the shift is 5.4's only. A message allowed spends the
        // shared global credit.
        if limited {
            let g = trace.enter(.icmpv6_xrlim_allow); defer { trace.leave(g) }
            guard let rt = ip6_route_output(daddr: src, saddr: saddr, oif: oif, proto: 58) else {
                counters.inc(.Ip6OutNoRoutes)
                counters.inc(.Icmp6OutRateLimitHost)
                icmp6NoRouteHeld += 1
                return
            }
            if rt.route.dev?.isLoopback != true {
                let ms = icmpv6Ratelimit
                let plen = rt.route.route?.destination.length ?? 128
                let timeout = (ms * Self.hz / 1000) >> (profile.kernel != .v6_18 ? (128 - plen) >> 5 : 0)
                if !net.ipv4.peers.xrlimAllow(src, jiffies: jiffies, hz: Self.hz, timeout: timeout) {
                    counters.inc(.Icmp6OutRateLimitHost)
                    record.icmpSuppressed = "not sent: the per-destination ICMPv6 limit to \(src) (one per \(timeout * 1000 / Self.hz) ms, net.ipv6.icmp.ratelimit \(ms), a burst of 6) had no token"
                    return
                }
            }
            icmp_global_consume()
        }
        // icmpv6_route_lookup: ip6_dst_lookup, then again for the reversed flow of the packet
        // (xfrm_decode_session_reverse: from its destination).
        let h = trace.enter(.icmpv6_route_lookup)
        let out = ip6_dst_lookup(daddr: src, saddr: saddr, oif: oif, proto: 58)
        if out != nil { _ = ip6_dst_lookup(daddr: src, saddr: dst, oif: oif, proto: 58) }
        trace.leave(h)
        guard let out else { return }
        let quoted = Array(skb.network.prefix(1280 - 40 - 8))
        var message: [UInt8] = [type, code, 0, 0]
        message += [UInt8(info >> 24), UInt8((info >> 16) & 0xff), UInt8((info >> 8) & 0xff), UInt8(info & 0xff)]
        message += quoted
        icmpv6_push_pending_frames(message, to: src, route: out, tclass: 0, what: "ICMPv6 \(Self.icmpv6Name(type, code))")
    }

    /// One of the host's own addresses (a local route in the local table).
    func isLocal6(_ a: IPv6Address) -> Bool { net.ipv6.fib6.localAddresses.contains(a) }

    /// is_ineligible: never an error about an ICMPv6 error.
    func is_ineligible(_ skb: SKB) -> Bool {
        var next = skb.frame[skb.networkOffset + 6], at = 40
        while [0, 43, 60].contains(next), at + 8 <= skb.length {
            let len = (Int(skb.frame[skb.networkOffset + at + 1]) + 1) * 8
            next = skb.frame[skb.networkOffset + at]
            at += len
        }
        guard next == 58 else { return false }
        guard at < skb.length else { return true }
        return skb.frame[skb.networkOffset + at] & 0x80 == 0
    }

    static func icmpv6Name(_ type: UInt8, _ code: UInt8) -> String {
        switch (type, code) {
        case (1, 0): "no route to destination"
        case (1, 1): "administratively prohibited"
        case (1, 3): "address unreachable"
        case (1, 4): "port unreachable"
        case (2, _): "packet too big"
        case (3, 0): "hop limit exceeded"
        case (3, 1): "fragment reassembly time exceeded"
        case (4, 0): "parameter problem (erroneous header field)"
        case (4, 1): "parameter problem (unknown next header)"
        case (4, 2): "parameter problem (unrecognised option)"
        default: "type \(type) code \(code)"
        }
    }

    /// icmpv6_push_pending_frames → ip6_push_pending_frames → ip6_send_skb → ip6_local_out: the
    /// message with its checksum, in an IPv6 header with the route's hop limit.
    /// `own`: an application's message (a ping socket's), not one the kernel makes.
    func icmpv6_push_pending_frames(_ message: [UInt8], to daddr: IPv6Address, route: (route: Route6, source: IPv6Address),
                                    tclass: UInt8, what: String, hopLimit: UInt8? = nil, own: Bool = false, rawSocket: Bool = false) {
        var m = message
        m[2] = 0; m[3] = 0
        let pseudo = InternetChecksum.pseudoHeader(source: route.source, destination: daddr, nextHeader: 58, length: m.count)
        let c = m.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0, initial: pseudo)) }
        m[2] = UInt8(c >> 8); m[3] = UInt8(c & 0xff)
        let dev = route.route.dev
        let hl = hopLimit ?? (dev.flatMap { net.ipv6.idev($0)?.hopLimit } ?? 64)
        let packet = IPv6Header(source: route.source, destination: daddr, nextHeader: .icmpv6, hopLimit: hl, trafficClass: tclass).emit(payload: m)
        let f = rawSocket ? nil : trace.enter(.icmpv6_push_pending_frames)
        defer { if let f { trace.leave(f) } }
        let g = trace.enter(.ip6_push_pending_frames); defer { trace.leave(g) }
        ip6OutRequest(packet.count)
        icmp6MsgOut(m[0])
        let h = trace.enter(.ip6_send_skb); defer { trace.leave(h) }
        let skb = OutputSKB6(packet: packet, dev: dev, nextHop: route.route.nextHop ?? daddr)
        if own { ip6_local_out(skb) } else { emitting(what) { ip6_local_out(skb) } }
    }
}
