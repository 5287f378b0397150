// net/ipv6/ip6_output.c, net/ipv6/output_core.c — the output half of IPv6 (6.18, 5.4):
//   ip6_local_out → __ip6_local_out → nf_hook(LOCAL_OUT) → dst_output → ip6_output
//   ip6_output → NF_HOOK_COND(POST_ROUTING) → ip6_finish_output → __ip6_finish_output
//     → ip6_finish_output2 → the nd_tbl neighbour (ndisc_solicit when unresolved) →
//     dev_queue_xmit
//   ip6_forward (hop limit, MTU, FORWARD hook) → ip6_forward_finish → dst_output.
import HostModel
import Wire

/// An IPv6 skb on its way out: the packet, the device and the next hop its dst gives.
struct OutputSKB6 {
    var packet: [UInt8]
    var dev: Interface?
    var nextHop: IPv6Address
    /// The dst's MTU (a route exception's, a route's metric); nil: the device's.
    var mtu: Int? = nil
}

extension Kernel {
    /// False when LOCAL_OUT dropped the packet (the sender's -EPERM).
    @discardableResult
    func ip6_local_out(_ skb: OutputSKB6) -> Bool {
        let f = trace.enter(.ip6_local_out); defer { trace.leave(f) }
        guard __ip6_local_out(skb) else { return false }
        dst_output6(skb)
        return true
    }

    func __ip6_local_out(_ skb: OutputSKB6) -> Bool {
        let f = trace.enter(.__ip6_local_out); defer { trace.leave(f) }
        return nf_hook(NFHookState(hook: .localOut, outdev: skb.dev, outgoing: skb.packet, family: .ip6))
    }

    func dst_output6(_ skb: OutputSKB6) {
        let f = trace.enter(.dst_output); defer { trace.leave(f) }
        trace.tailCall(from: f) { ip6_output(skb) }
    }

    func ip6_output(_ skb: OutputSKB6) {
        let f = trace.enter(.ip6_output); defer { trace.leave(f) }
        guard let dev = skb.dev else { return }
        NF_HOOK(NFHookState(hook: .postRouting, outdev: dev, outgoing: skb.packet, family: .ip6), name: .NF_HOOK_COND) {
            ip6_finish_output(skb, dev: dev)
        }
    }

    func ip6_finish_output(_ skb: OutputSKB6, dev: Interface) {
        let f = trace.enter(.ip6_finish_output); defer { trace.leave(f) }
        trace.tailCall(from: f) {
            let g = trace.enter(.__ip6_finish_output); defer { trace.leave(g) }
            let mtu = skb.mtu ?? dev.mtu
            if skb.packet.count > mtu {
                trace.tailCall(from: g) { ip6_fragment(skb, dev: dev, mtu: mtu) }
            } else {
                trace.tailCall(from: g) { ip6_finish_output2(skb, dev: dev) }
            }
        }
    }

    /// ip6_fragment (the frag_list fast path __ip6_append_data prepared): pieces of
    /// ((mtu − 40) & ~7) − 8 bytes, each behind a Fragment header; Ip6FragCreates each,
    /// Ip6FragOKs once. The identification is ipv6_select_ident's hash (0 here).
    func ip6_fragment(_ skb: OutputSKB6, dev: Interface, mtu: Int) {
        let f = trace.enter(.ip6_fragment); defer { trace.leave(f) }
        let header = Array(skb.packet[..<40]), next = skb.packet[6]
        let data = Array(skb.packet[40...])
        let piece = ((mtu - 40) & ~7) - 8
        var offset = 0
        var count = 0
        while offset < data.count {
            let chunk = Array(data[offset..<min(data.count, offset + piece)])
            let more = offset + chunk.count < data.count
            var h = header
            let plen = 8 + chunk.count
            h[4] = UInt8(plen >> 8); h[5] = UInt8(plen & 0xff); h[6] = 44
            let off = UInt16(offset) | (more ? 1 : 0)
            let frag: [UInt8] = [next, 0, UInt8(off >> 8), UInt8(off & 0xff), 0, 0, 0, 0]
            ip6_finish_output2(OutputSKB6(packet: h + frag + chunk, dev: dev, nextHop: skb.nextHop), dev: dev)
            counters.inc(.Ip6FragCreates)
            offset += chunk.count
            count += 1
        }
        counters.inc(.Ip6FragOKs)
        record.fragment = FragmentReport(datagram: "\(IPv6Address(header.withUnsafeBytes { $0 }, at: 8)) > \(IPv6Address(header.withUnsafeBytes { $0 }, at: 24))",
                                         offset: 0, length: data.count, more: false, outcome: "fragmented",
                                         detail: "\(data.count) bytes in \(count) fragments of at most \(piece) (MTU \(mtu))")
    }

    func ip6_finish_output2(_ skb: OutputSKB6, dev: Interface) {
        let f = trace.enter(.ip6_finish_output2); defer { trace.leave(f) }
        let daddr = IPv6Address(skb.packet.withUnsafeBytes { $0 }, at: 24)
        if daddr.isMulticast {
            counters.inc(.Ip6OutMcastPkts)
            counters.inc(.Ip6OutMcastOctets, by: skb.packet.count)
        }
        // IPSTATS_MIB_OUT: from 6.3 every packet leaving (Ip6OutTransmits and the octets); before,
        // the senders count it (ip6OutRequest) and ip6_forward_finish the forwarded octets.
        if profile.hasIpOutTransmits {
            counters.inc(.Ip6OutTransmits)
            counters.inc(.Ip6OutOctets, by: skb.packet.count)
        }
        neigh_output(skb, dev: dev)
    }

    /// A packet this host makes (ip6_xmit, __ip6_make_skb, ndisc_send_skb): Ip6OutRequests, and
    /// before 6.3 its octets too (IPSTATS_MIB_OUT counted there, not in ip6_finish_output2: 6.1's
    /// guest counts no octets for what nf_send_reset6 sends by ip6_local_out alone).
    func ip6OutRequest(_ length: Int) {
        counters.inc(.Ip6OutRequests)
        if !profile.hasIpOutTransmits { counters.inc(.Ip6OutOctets, by: length) }
    }

    /// The nd_tbl neighbour of the next hop (a group maps to 33:33:…, NUD_NOARP).
    func neigh_output(_ skb: OutputSKB6, dev: Interface) {
        let f = trace.enter(.neigh_output); defer { trace.leave(f) }
        let key = NDKey(device: dev.name, address: skb.nextHop)
        if skb.nextHop.isMulticast { ndTbl[key] = NeighbourEntry(mac: skb.nextHop.multicastMAC, state: .noarp) }
        if let e = ndTbl[key], e.state.isConnected, let mac = e.mac {
            let h = trace.enter(.neigh_hh_output); defer { trace.leave(h) }
            dev_queue_xmit(ethernetFrame6(skb.packet, to: mac, dev: dev), dev: dev)
            return
        }
        let g = trace.enter(.neigh_resolve_output); defer { trace.leave(g) }
        let h = trace.enter(.neigh_event_send); defer { trace.leave(h) }
        var e = ndTbl[key] ?? NeighbourEntry(mac: nil, state: .none)
        switch e.state {
        case .stale, .delay, .probe:
            if e.state == .stale { e.state = .delay }
            ndTbl[key] = e
            trace.leave(h)
            if let mac = e.mac {
                let frame = ethernetFrame6(skb.packet, to: mac, dev: dev)
                trace.tailCall(from: g) { dev_queue_xmit(frame, dev: dev, reachedByJump: true) }
            }
        case .incomplete:
            e.queue.append(OutputSKB(packet: skb.packet, dev: dev, nextHop: .any))
            ndTbl[key] = e
            if ownPacket { handedOff(.queue, function: "__neigh_event_send", detail: "waits for \(skb.nextHop)'s neighbour advertisement (INCOMPLETE)") }
        default:
            let i = trace.enter(.__neigh_event_send); defer { trace.leave(i) }
            e.state = .incomplete
            e.queue.append(OutputSKB(packet: skb.packet, dev: dev, nextHop: .any))
            ndTbl[key] = e
            if ownPacket { handedOff(.queue, function: "__neigh_event_send", detail: "waits for \(skb.nextHop)'s neighbour advertisement (now INCOMPLETE: a neighbour solicitation goes out)") }
            let p = trace.enter(.neigh_probe); defer { trace.leave(p) }
            ndisc_solicit(skb, target: skb.nextHop, dev: dev)
            trace.tailCall(from: p) { sideEnd("consume_skb", reason: nil) }
        }
    }

    func ethernetFrame6(_ packet: [UInt8], to mac: MACAddress, dev: Interface) -> [UInt8] {
        EthernetHeader(destination: mac, source: dev.mac ?? .zero, etherType: .ipv6).emit(payload: packet)
    }

    /// ndisc_solicit → ndisc_send_ns: to the target's solicited-node group, from the waiting
    /// packet's source when it is ours, with our link-layer address.
    func ndisc_solicit(_ skb: OutputSKB6, target: IPv6Address, dev: Interface) {
        let f = trace.enter(.ndisc_solicit); defer { trace.leave(f) }
        let g = trace.enter(.ndisc_send_ns); defer { trace.leave(g) }
        let waitingSource = IPv6Address(skb.packet.withUnsafeBytes { $0 }, at: 8)
        let source = net.ipv6.idev(dev)?.addresses.contains(waitingSource) == true ? waitingSource
            : ipv6_dev_get_saddr(dev, daddr: target) ?? waitingSource
        let daddr = target.solicitedNode
        var m: [UInt8] = [135, 0, 0, 0, 0, 0, 0, 0] + target.bytes
        if let mac = dev.mac { m += [1, 1] + mac.bytes }
        ndisc_send_skb(m, dev: dev, source: source, daddr: daddr, what: "neighbour solicitation")
    }

    func ip6_forward(_ skb: SKB) {
        let f = trace.enter(.ip6_forward); defer { trace.leave(f) }
        let forwarding = net.ipv6.sysctl.forwarding
        let (src, dst, hopLimit) = skb.withIPv6 { ($0.source, $0.destination, $0.hopLimit) }
        func addrError(_ why: String) {
            counters.inc(.Ip6InAddrErrors)
            kfree_skb_reason("IP_INADDRERRORS", detail: why)
        }
        guard forwarding else { return addrError("\(dst) is not ours and IPv6 forwarding is off (net.ipv6.conf.all.forwarding=0)") }
        guard skb.pktType == .host else {
            kfree_skb_reason("NOT_SPECIFIED", detail: "not addressed to this host's MAC: not forwarded")
            return
        }
        if hopLimit <= 1 {
            icmpv6_send(skb, type: 3, code: 0, info: 0)
            counters.inc(.Ip6InHdrErrors)
            kfree_skb_reason("IP_INHDR", detail: "hop limit \(hopLimit): ICMPv6 time exceeded")
            return
        }
        guard let rt = skb.dst6, let out = rt.dev else { return }
        if out.index == skb.dev.index {
            // ndisc_send_redirect (rate-limited by the inet_peer): not modelled yet.
        } else if src.isUnspecified || src.isMulticast || src.isLoopback {
            return addrError("source \(src) cannot be forwarded")
        } else if src.isLinkLocal {
            icmpv6_send(skb, type: 1, code: 2, info: 0)
            return addrError("link-local source \(src): ICMPv6 beyond scope of source address")
        }
        counters.inc(.Ip6OutForwDatagrams)
        let mtu = max(1280, rt.route?.mtu ?? out.mtu)
        if skb.length > mtu {
            icmpv6_send(skb, type: 2, code: 0, info: UInt32(mtu))
            counters.inc(.Ip6InTooBigErrors)
            counters.inc(.Ip6FragFails)
            kfree_skb_reason("PKT_TOO_BIG", detail: "\(skb.length) bytes > MTU \(mtu) of \(out.name): ICMPv6 packet too big")
            return
        }
        var packet = skb.network
        packet[7] = hopLimit - 1
        // Where the build inlines ip6_forward_finish (6.1) there is no call to it for NF_HOOK to
        // make as a tail call: its own tail call of dst_output leaves ip6_forward.
        NF_HOOK(NFHookState(hook: .forward, indev: skb.dev, outdev: out, skb: skb, outgoing: packet, family: .ip6),
                tail: !profile.isInlined(.ip6_forward_finish, into: .NF_HOOK)) {
            let g = trace.enter(.ip6_forward_finish); defer { trace.leave(g) }
            if !profile.hasIpOutTransmits { counters.inc(.Ip6OutOctets, by: packet.count) }
            handedOff(.forward, function: "ip6_forward_finish", detail: "forwarded out \(out.name), hop limit decremented")
            trace.tailCall(from: g) { dst_output6(OutputSKB6(packet: packet, dev: out, nextHop: rt.nextHop ?? dst)) }
        }
    }
}
