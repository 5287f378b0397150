// net/ipv4/ip_input.c — modelled: 6.18 (checked against its drop reasons, locations and
// counters: Fixtures/rx/*.kernel.jsonl), 5.4 (same order; no drop reasons).
//   ip_rcv → ip_rcv_core (header checks) → NF_HOOK(PRE_ROUTING) → ip_rcv_finish →
//   ip_rcv_finish_core (route) → dst_input → ip_local_deliver → NF_HOOK(LOCAL_IN) →
//   ip_local_deliver_finish → ip_protocol_deliver_rcu → raw / tcp_v4_rcv / udp_rcv / icmp_rcv
import Wire

extension Kernel {
    func ip_rcv(_ skb: SKB) {
        let f = trace.enter(.ip_rcv); defer { trace.leave(f) }
        guard ip_rcv_core(skb) else { return }
        NF_HOOK(NFHookState(hook: .preRouting, indev: skb.dev, skb: skb), tail: false) { ip_rcv_finish(skb) }
    }

    /// The list receive path's ip_rcv: ip_rcv_core on each skb, then ip_sublist_rcv on each run
    /// from one device: PRE_ROUTING for the run (NF_HOOK_LIST), ip_list_rcv_finish (inlined):
    /// ip_rcv_finish_core on each, then ip_sublist_rcv_finish on each run with one route: its
    /// dst_input — not a tail call there, in a loop (ip_local_deliver runs above it).
    func ip_list_rcv(_ skb: SKB) {
        let f = trace.enter(.ip_list_rcv); defer { trace.leave(f) }
        guard ip_rcv_core(skb) else { return }
        let g = trace.enter(.ip_sublist_rcv); defer { trace.leave(g) }
        guard NF_HOOK_LIST(NFHookState(hook: .preRouting, indev: skb.dev, skb: skb)) else { return }
        let h = trace.enter(.ip_list_rcv_finish); defer { trace.leave(h) }
        guard ip_rcv_finish_core(skb) else { return }
        ip_rcv_count_cast(skb)
        let s = trace.enter(.ip_sublist_rcv_finish); defer { trace.leave(s) }
        dst_input(skb, tail: false)
    }

    /// The header checks, in the kernel's order. False: the skb was dropped.
    func ip_rcv_core(_ skb: SKB) -> Bool {
        let f = trace.enter(.ip_rcv_core); defer { trace.leave(f) }
        if skb.pktType == .otherHost {
            // dev_core_stats_rx_otherhost_dropped_inc: a device counter, no SNMP counter moves.
            kfree_skb_reason("OTHERHOST", detail: (skb.otherHostBecause ?? "destination MAC is not \(skb.dev.name)'s (PACKET_OTHERHOST)")
                             + "; counted in the device's rx_otherhost_dropped")
            return false
        }
        counters.inc(.IpInReceives)
        counters.inc(.IpExtInOctets, by: skb.length)
        let n = skb.length
        guard n >= 20 else {
            counters.inc(.IpInHdrErrors)
            kfree_skb_reason("IP_INHDR", detail: "\(n) bytes: shorter than an IPv4 header (pskb_may_pull)")
            return false
        }
        let (ihl, version, tos, total, csumOK) = skb.withIPv4 { ($0.ihl, $0.version, $0.tos, Int($0.totalLength), $0.headerChecksumIsValid) }
        if ihl < 5 || version != 4 {
            counters.inc(.IpInHdrErrors)
            kfree_skb_reason("IP_INHDR", detail: ihl < 5 ? "IHL \(ihl) < 5" : "version \(version) is not 4")
            return false
        }
        // Counted by segment: max(1, gso_segs) — a TSO super-packet its sender's veth passed on
        // whole is as many segments as its MSS cuts it into.
        let segs = skb.gsoSegments
        switch tos & 3 {
        case 0: counters.inc(.IpExtInNoECTPkts, by: segs)
        case 1: counters.inc(.IpExtInECT1Pkts, by: segs)
        case 2: counters.inc(.IpExtInECT0Pkts, by: segs)
        default: counters.inc(.IpExtInCEPkts, by: segs)
        }
        if n < Int(ihl) * 4 {
            counters.inc(.IpInHdrErrors)
            kfree_skb_reason("IP_INHDR", detail: "IHL \(ihl) runs past the \(n) bytes received")
            return false
        }
        if !csumOK {
            counters.inc(.IpExtInCsumErrors)
            counters.inc(.IpInHdrErrors)
            kfree_skb_reason("IP_CSUM", detail: "bad IPv4 header checksum")
            return false
        }
        if n < total {
            counters.inc(.IpExtInTruncatedPkts)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "total length \(total) > \(n) bytes received")
            return false
        }
        if total < Int(ihl) * 4 {
            counters.inc(.IpInHdrErrors)
            kfree_skb_reason("IP_INHDR", detail: "total length \(total) < header length \(Int(ihl) * 4)")
            return false
        }
        skb.length = total  // pskb_trim_rcsum: Ethernet padding goes
        return true
    }

    /// Inlined into ip_rcv (6.18): its `return dst_input(skb)` is a tail call out of ip_rcv.
    func ip_rcv_finish(_ skb: SKB) {
        let f = trace.enter(.ip_rcv_finish); defer { trace.leave(f) }
        guard ip_rcv_finish_core(skb), skb.dst != nil else { return }
        ip_rcv_count_cast(skb)
        dst_input(skb)
    }

    /// IPSTATS_MIB_INBCAST / INMCAST by the input route's type (ip_rcv_finish_core, after the
    /// route: a drop before it counts neither).
    func ip_rcv_count_cast(_ skb: SKB) {
        guard let rt = skb.dst else { return }
        if rt.type == .broadcast {
            counters.inc(.IpExtInBcastPkts)
            counters.inc(.IpExtInBcastOctets, by: skb.length)
        } else if rt.type == .multicast {
            counters.inc(.IpExtInMcastPkts)
            counters.inc(.IpExtInMcastOctets, by: skb.length)
        }
    }

    /// Early demux, then the input route. False: dropped.
    func ip_rcv_finish_core(_ skb: SKB) -> Bool {
        let f = trace.enter(.ip_rcv_finish_core); defer { trace.leave(f) }
        let (proto, fragment) = skb.withIPv4 { ($0.protocolNumber, $0.isFragment) }
        var drop: DropReason? = nil
        if proto == 6 && !fragment && net.ipv4.sysctl.tcpEarlyDemux { _ = tcp_v4_early_demux(skb) }
        if proto == 17 && !fragment && net.ipv4.sysctl.udpEarlyDemux { drop = udp_v4_early_demux(skb) }
        // The route, unless early demux gave the socket's cached one (skb_valid_dst).
        if drop == nil && skb.dst == nil { drop = ip_route_input_noref(skb) }
        if let reason = drop {   // drop_error
            if reason.name == "IP_RPFILTER" { counters.inc(.TcpExtIPReversePathFilter) }
            kfree_skb_reason(reason.name, detail: reason.detail)
            return false
        }
        if skb.withIPv4({ $0.ihl > 5 }) && ip_rcv_options(skb) { return false }
        // RFC 1122 3.3.6: a unicast datagram in a link-layer broadcast or multicast frame, where
        // the device asks for it (drop_unicast_in_l2_multicast); accepted otherwise.
        if let rt = skb.dst, rt.type != .broadcast, rt.type != .multicast,
           skb.pktType == .broadcast || skb.pktType == .multicast, net.ipv4.conf(skb.dev).dropUnicastInL2Multicast {
            kfree_skb_reason("UNICAST_IN_L2_MULTICAST", detail: "unicast \(skb.withIPv4 { $0.destination }) in a link-layer \(skb.pktType == .broadcast ? "broadcast" : "multicast") frame (drop_unicast_in_l2_multicast=1)")
            return false
        }
        return true
    }

    /// dst_input: skb_dst(skb)->input. Inlined, like ip_rcv_finish that calls it, so the indirect
    /// call is a tail call out of ip_rcv: ip_local_deliver / ip_forward / ip_error run with
    /// __netif_receive_skb_one_core as their caller on the stack.
    /// `tail`: false in ip_sublist_rcv_finish, whose loop goes on after each skb's.
    func dst_input(_ skb: SKB, tail: Bool = true) {
        let f = trace.enter(.dst_input); defer { trace.leave(f) }
        guard let rt = skb.dst else { return }
        let input = {
            switch rt.input {
            case .localDeliver: self.ip_local_deliver(skb)
            case .forward: self.ip_forward(skb)
            case .error(let errno): self.ip_error(skb, errno: errno)
            case .output, .outputError: break   // an output route is never an input skb's dst
            }
        }
        if tail { trace.tailCall(from: f, input) } else { input() }
    }

    func ip_local_deliver(_ skb: SKB) {
        let f = trace.enter(.ip_local_deliver); defer { trace.leave(f) }
        if skb.withIPv4({ $0.isFragment }) && ip_defrag(skb) { return }
        NF_HOOK(NFHookState(hook: .localIn, indev: skb.dev, skb: skb)) { ip_local_deliver_finish(skb) }   // return NF_HOOK(…): a tail call
    }

    func ip_local_deliver_finish(_ skb: SKB) {
        let f = trace.enter(.ip_local_deliver_finish); defer { trace.leave(f) }
        ip_protocol_deliver_rcu(skb, proto: skb.withIPv4 { $0.protocolNumber })
    }

    func ip_protocol_deliver_rcu(_ skb: SKB, proto: UInt8) {
        let f = trace.enter(.ip_protocol_deliver_rcu); defer { trace.leave(f) }
        let raw = raw_local_deliver(skb, proto: proto)
        switch IPProtocol(proto) {
        case .udp:
            trace.tailCall(from: trace.enter(.udp_rcv)) { __udp4_lib_rcv(skb) }
            counters.inc(.IpInDelivers)
        case .tcp:
            tcp_v4_rcv(skb)
            counters.inc(.IpInDelivers)
        case .icmp:
            icmp_rcv(skb, rawCopy: raw)
            counters.inc(.IpInDelivers)
        case .igmp:
            igmp_rcv(skb)
            counters.inc(.IpInDelivers)
        default:
            if raw {
                counters.inc(.IpInDelivers)
                trace.tailCall(from: f) { consume_skb(.deliver, detail: "delivered to a raw socket") }
            } else {
                counters.inc(.IpInUnknownProtos)
                icmp_send(skb, type: 3, code: 2, info: 0)
                // The last act of ip_protocol_deliver_rcu: the kernel reports the caller.
                trace.tailCall(from: f) {
                    kfree_skb_reason("IP_NOPROTO", detail: "no handler for IP protocol \(proto) and no raw socket: ICMP protocol unreachable")
                }
            }
        }
    }
}
