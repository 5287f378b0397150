// net/ipv6/ip6_input.c — modelled: 6.18 (checked against its drop reasons, locations and
// counters: Fixtures/rx/ipv6-*.pcap in make oracle), 5.4 (same order; no drop reasons).
//   ipv6_rcv → ip6_rcv_core (header checks, hop-by-hop) → NF_HOOK(PRE_ROUTING) → ip6_rcv_finish
//   → ip6_rcv_finish_core (ip6_route_input) → dst_input: ip6_input | ip6_mc_input | ip6_forward
//   | ip6_pkt_discard | ip6_pkt_prohibit | dst_discard
//   ip6_input → NF_HOOK(LOCAL_IN) → ip6_input_finish → ip6_protocol_deliver_rcu: extension
//   headers (resubmit), then raw6_local_deliver and the handler (udpv6_rcv, tcp_v6_rcv,
//   icmpv6_rcv); no handler → ICMPv6 parameter problem (unknown next header), IP_NOPROTO.
import HostModel
import Wire

extension Kernel {
    func ipv6_rcv(_ skb: SKB) {
        let f = trace.enter(.ipv6_rcv); defer { trace.leave(f) }
        guard explainsIPv6(in: .ipv6_rcv), ip6_rcv_core(skb) else { return }
        NF_HOOK(NFHookState(hook: .preRouting, indev: skb.dev, skb: skb, family: .ip6), tail: false) { ip6_rcv_finish(skb) }
    }

    /// A host inferred from a capture has no IPv6 addresses or routes yet: any verdict would be
    /// a guess the capture may contradict, so none is given (false).
    func explainsIPv6(in fn: KFunc) -> Bool {
        guard net.ipv6.inferredWithoutIPv6 else { return true }
        record.end = (Verdict(action: .error, reason: nil, function: fn.name,
                              detail: "the host was inferred from the capture, and its IPv6 addresses and routes are not inferred yet: give a snapshot (--host) to explain IPv6"), [])
        return false
    }

    /// The list receive path's ipv6_rcv (see ip_list_rcv): ip6_rcv_core, then ip6_sublist_rcv:
    /// PRE_ROUTING for the run (NF_HOOK_LIST), ip6_list_rcv_finish (inlined): the route
    /// (ip6_rcv_finish_core), then ip6_sublist_rcv_finish: dst_input, in a loop.
    func ipv6_list_rcv(_ skb: SKB) {
        let f = trace.enter(.ipv6_list_rcv); defer { trace.leave(f) }
        guard explainsIPv6(in: .ipv6_list_rcv), ip6_rcv_core(skb) else { return }
        let g = trace.enter(.ip6_sublist_rcv); defer { trace.leave(g) }
        guard NF_HOOK_LIST(NFHookState(hook: .preRouting, indev: skb.dev, skb: skb, family: .ip6)) else { return }
        let h = trace.enter(.ip6_list_rcv_finish); defer { trace.leave(h) }
        ip6_rcv_finish_core(skb)
        let s = trace.enter(.ip6_sublist_rcv_finish); defer { trace.leave(s) }
        dst_input6(skb, tail: false)
    }

    /// The header checks, in the kernel's order. False: the skb was dropped.
    func ip6_rcv_core(_ skb: SKB) -> Bool {
        let f = trace.enter(.ip6_rcv_core); defer { trace.leave(f) }
        if skb.pktType == .otherHost {
            kfree_skb_reason("OTHERHOST", detail: (skb.otherHostBecause ?? "destination MAC is not \(skb.dev.name)'s (PACKET_OTHERHOST)")
                             + "; counted in the device's rx_otherhost_dropped")
            return false
        }
        let idev = net.ipv6.idev(skb.dev)
        counters.inc(.Ip6InReceives)
        counters.inc(.Ip6InOctets, by: skb.length)
        guard let idev, !idev.disableIPv6 else {
            counters.inc(.Ip6InDiscards)
            kfree_skb_reason(idev == nil ? "NOT_SPECIFIED" : "IPV6DISABLED",
                             detail: idev == nil ? "\(skb.dev.name) has no inet6_dev" : "IPv6 is disabled on \(skb.dev.name) (disable_ipv6)")
            return false
        }
        func headerError(_ reason: String, _ why: String) -> Bool {
            counters.inc(.Ip6InHdrErrors)
            kfree_skb_reason(reason, detail: why)
            return false
        }
        guard skb.length >= 40 else { return headerError("IP_INHDR", "\(skb.length) bytes: shorter than an IPv6 header (pskb_may_pull)") }
        let (version, tclass, src, dst, payloadLength, next) = skb.withIPv6 {
            ($0.version, $0.trafficClass, $0.source, $0.destination, Int($0.payloadLength), $0.nextHeaderNumber)
        }
        guard version == 6 else { return headerError("UNHANDLED_PROTO", "version \(version) is not 6") }
        let segs = skb.gsoSegments6
        switch tclass & 3 {
        case 0: counters.inc(.Ip6InNoECTPkts, by: segs)
        case 1: counters.inc(.Ip6InECT1Pkts, by: segs)
        case 2: counters.inc(.Ip6InECT0Pkts, by: segs)
        default: counters.inc(.Ip6InCEPkts, by: segs)
        }
        let loopbackDev = skb.dev.isLoopback
        if (src.isLoopback || dst.isLoopback) && !loopbackDev {
            return headerError("IP_INHDR", "\(src.isLoopback ? "source" : "destination") ::1 on \(skb.dev.name), not loopback (RFC 4291 2.5.3)")
        }
        if !loopbackDev && dst.isMulticast && dst.multicastScope == 1 {
            return headerError("IP_INHDR", "interface-local multicast \(dst) from another node (RFC 4291 errata 3480)")
        }
        if !dst.isMulticast && (skb.pktType == .broadcast || skb.pktType == .multicast) && idev.dropUnicastInL2Multicast {
            return headerError("UNICAST_IN_L2_MULTICAST", "unicast \(dst) in a link-layer multicast frame (drop_unicast_in_l2_multicast)")
        }
        if dst.isMulticast && dst.multicastScope == 0 {
            return headerError("IP_INHDR", "multicast \(dst) with the reserved scope 0 (RFC 4291 2.7)")
        }
        if src.isMulticast { return headerError("IP_INHDR", "multicast source \(src) (RFC 4291 2.7)") }
        skb.ip6cb = IP6CB()
        if payloadLength != 0 || next != 0 {
            if payloadLength + 40 > skb.length {
                counters.inc(.Ip6InTruncatedPkts)
                kfree_skb_reason("PKT_TOO_SMALL", detail: "payload length \(payloadLength) > the \(skb.length - 40) bytes received after the header")
                return false
            }
            skb.length = payloadLength + 40   // pskb_trim_rcsum: Ethernet padding goes
        }
        if next == 0 {
            guard ipv6_parse_hopopts(skb) else {
                counters.inc(.Ip6InHdrErrors)
                return false
            }
        }
        return true
    }

    /// Inlined into ipv6_rcv (6.18): its `return dst_input(skb)` is a tail call out of ipv6_rcv.
    func ip6_rcv_finish(_ skb: SKB) {
        let f = trace.enter(.ip6_rcv_finish); defer { trace.leave(f) }
        ip6_rcv_finish_core(skb)
        dst_input6(skb)
    }

    /// Early demux (a socket's cached route), else the input route. By the first next header,
    /// while net.ipv4.ip_early_demux and the protocol's own switch are on (IPv6 reads IPv4's):
    /// tcp_v6_early_demux for TCP (an established socket), udp_v6_early_demux for UDP (a
    /// connect(2)ed socket).
    func ip6_rcv_finish_core(_ skb: SKB) {
        let f = trace.enter(.ip6_rcv_finish_core); defer { trace.leave(f) }
        switch skb.frame[skb.networkOffset + 6] {
        case 6 where net.ipv4.sysctl.tcpEarlyDemux:
            if tcp_v6_early_demux(skb) { return }
        case 17 where net.ipv4.sysctl.udpEarlyDemux:
            udp_v6_early_demux(skb)
            if skb.dst6 != nil { return }
        default:
            break
        }
        ip6_route_input(skb)
    }

    /// dst_input: skb_dst(skb)->input, a tail call out of ipv6_rcv.
    /// `tail`: false in ip6_sublist_rcv_finish, whose loop goes on after each skb's.
    func dst_input6(_ skb: SKB, tail: Bool = true) {
        let f = trace.enter(.dst_input); defer { trace.leave(f) }
        guard let rt = skb.dst6 else { return }
        let input = {
            switch rt.input {
            case .input: self.ip6_input(skb)
            case .mcInput: self.ip6_mc_input(skb)
            case .forward: self.ip6_forward(skb)
            case .discard: self.ip6_pkt_discard(skb)
            case .prohibit: self.ip6_pkt_prohibit(skb)
            case .blackhole: self.dst_discard(skb)
            }
        }
        if tail { trace.tailCall(from: f, input) } else { input() }
    }

    func ip6_input(_ skb: SKB) {
        let f = trace.enter(.ip6_input); defer { trace.leave(f) }
        // Not a tail call: ip6_input stays on the stack below ip6_input_finish.
        NF_HOOK(NFHookState(hook: .localIn, indev: skb.dev, skb: skb, family: .ip6), tail: false) { ip6_input_finish(skb) }
    }

    func ip6_input_finish(_ skb: SKB) {
        let f = trace.enter(.ip6_input_finish); defer { trace.leave(f) }
        ip6_protocol_deliver_rcu(skb)
    }

    /// ip6_mc_input: a group the device joined goes on to ip6_input, any other is freed
    /// (kfree_skb: NOT_SPECIFIED).
    func ip6_mc_input(_ skb: SKB) {
        let f = trace.enter(.ip6_mc_input); defer { trace.leave(f) }
        counters.inc(.Ip6InMcastPkts)
        counters.inc(.Ip6InMcastOctets, by: skb.length)
        let dst = skb.withIPv6 { $0.destination }
        if ipv6_chk_mcast_addr(skb.dev, dst) {
            ip6_input(skb)
        } else {
            kfree_skb_reason("NOT_SPECIFIED", detail: "\(skb.dev.name) has not joined \(dst) (ipv6_chk_mcast_addr): ip6_mc_input frees it")
        }
    }

    /// The extension headers in turn (each handler returns where the next begins: resubmit),
    /// then the upper-layer protocol.
    func ip6_protocol_deliver_rcu(_ skb: SKB) {
        let f = trace.enter(.ip6_protocol_deliver_rcu); defer { trace.leave(f) }
        var nexthdr = skb.frame[skb.networkOffset + skb.ip6cb.nhoff]
        var haveFinal = false
        while true {
            let raw = raw6_local_deliver(skb, nexthdr: nexthdr)
            let isFinal = [6, 17, 58].contains(nexthdr)
            if isFinal && !haveFinal {
                haveFinal = true
                let (src, dst) = skb.withIPv6 { ($0.source, $0.destination) }
                if dst.isMulticast && !ipv6_chk_mcast_addr(skb.dev, dst) && !ipv6_is_mld(skb, nexthdr: nexthdr) {
                    counters.inc(.Ip6InDiscards)
                    kfree_skb_reason("IP_INADDRERRORS", detail: "\(skb.dev.name) has not joined \(dst) (from \(src))")
                    return
                }
            }
            switch nexthdr {
            case 0:
                // A hop-by-hop header anywhere but first: parameter problem at it.
                counters.inc(.Ip6InHdrErrors)
                icmpv6_param_prob(skb, code: 1, pointer: skb.ip6cb.nhoff)
                kfree_skb_reason("IPV6_EXTHDR_HOPBYHOP"
                                 , detail: "a hop-by-hop header after another header (RFC 8200 4.1): parameter problem")
                return
            case 43:
                guard let next = ipv6_rthdr_rcv(skb) else { return }
                nexthdr = next
                continue
            case 60:
                guard let next = ipv6_destopt_rcv(skb) else { return }
                nexthdr = next
                continue
            case 59:
                // IPPROTO_NONE: nothing follows (ipv6_nodata_rcv? no handler: it is freed).
                break
            case 6:
                tcp_v6_rcv(skb)
                counters.inc(.Ip6InDelivers)
                return
            case 44:
                guard let next = ipv6_frag_rcv(skb) else { return }
                nexthdr = next
                continue
            case 17:
                udpv6_rcv(skb)
                counters.inc(.Ip6InDelivers)
                return
            case 58:
                icmpv6_rcv(skb)
                counters.inc(.Ip6InDelivers)
                return
            default:
                break
            }
            if raw {
                counters.inc(.Ip6InDelivers)
                consume_skb(.deliver, detail: "delivered to a raw IPv6 socket")
            } else {
                counters.inc(.Ip6InUnknownProtos)
                icmpv6_send(skb, type: 4, code: 1, info: UInt32(skb.ip6cb.nhoff))
                // The last act of ip6_protocol_deliver_rcu: the kernel reports its caller.
                trace.tailCall(from: f) {
                    kfree_skb_reason("IP_NOPROTO", detail: "no handler for next header \(nexthdr) and no raw socket: ICMPv6 parameter problem (unknown next header) pointing at it")
                }
            }
            return
        }
    }
}

extension SKB {
    /// max(1, gso_segs) for an IPv6 packet: as for IPv4 (`gsoSegments`).
    var gsoSegments6: Int {
        guard length > dev.mtu else { return 1 }
        return withIPv6 { ip in
            guard ip.nextHeaderNumber == 6, ip.payload.count >= 20 else { return 1 }
            let header = Int(ip.payload[12] >> 4) * 4
            let mss = dev.mtu - 40 - header
            return mss > 0 ? max(1, (ip.payload.count - header + mss - 1) / mss) : 1
        }
    }
}
