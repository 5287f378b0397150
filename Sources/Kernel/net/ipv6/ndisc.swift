// net/ipv6/ndisc.c — neighbour discovery on receive (6.18, 5.4):
//   ndisc_rcv: hop limit 255 (IPV6_NDISC_HOP_LIMIT), code 0 (IPV6_NDISC_BAD_CODE), then
//   NS → ndisc_recv_ns: for one of our addresses, the sender's entry (STALE, from its source
//     link-layer option) and a solicited NA (router flag when forwarding; override and the
//     target link-layer option when the NS was multicast); DAD (from ::) → NA to ff02::1;
//     another node's address → IPV6_NDISC_NS_OTHERHOST;
//   NA → ndisc_recv_na: an entry waiting for it is updated (REACHABLE when solicited), others
//     are left; RS → ignored unless forwarding; RA → ignored when forwarding or accept_ra 0
//     (the router's parameters are not modelled); redirect → ignored (not modelled).
import HostModel
import Wire

typealias NDKey = NeighTable<IPv6Address>.Key

extension Kernel {
    /// nil: handled (consumed); else the drop reason.
    func ndisc_rcv(_ skb: SKB, message: [UInt8]) -> (name: String, detail: String)? {
        let f = trace.enter(.ndisc_rcv); defer { trace.leave(f) }
        let hopLimit = skb.withIPv6 { $0.hopLimit }
        if hopLimit != 255 { return ("IPV6_NDISC_HOP_LIMIT", "neighbour discovery with hop limit \(hopLimit), not 255 (RFC 4861: it came from off-link)") }
        if message[1] != 0 { return ("IPV6_NDISC_BAD_CODE", "neighbour discovery with code \(message[1]), not 0") }
        switch message[0] {
        case 135: return ndisc_recv_ns(skb, message: message)
        case 136: return ndisc_recv_na(skb, message: message)
        case 133:
            let forwarding = net.ipv6.idev(skb.dev)?.forwarding ?? false
            return forwarding ? nil : ("NOT_SPECIFIED", "router solicitation to a host (not forwarding): ndisc_recv_rs ignores it")
        case 134:
            // ndisc_router_discovery consumes it whether or not it is accepted (seen on 6.18).
            let idev = net.ipv6.idev(skb.dev)
            record.socket = idev?.forwarding == true || idev?.acceptRA == 0
                ? "router advertisement not accepted (\(idev?.forwarding == true ? "forwarding" : "accept_ra 0")): ndisc_router_discovery consumes it"
                : "router advertisement: ndisc_router_discovery (the prefixes and routes it carries are not modelled)"
            return nil
        default:
            return ("NOT_SPECIFIED", "redirect: ndisc_redirect_rcv (not modelled)")
        }
    }

    /// The options after the fixed part: the source or target link-layer address (type 1 / 2).
    static func ndiscLinkAddress(_ message: [UInt8], from start: Int, type: UInt8) -> MACAddress?? {
        var at = start
        var found: MACAddress? = nil
        while at + 2 <= message.count {
            let len = Int(message[at + 1]) * 8
            guard len > 0, at + len <= message.count else { return .none }   // malformed
            if message[at] == type, len >= 8 {
                found = MACAddress(message[at + 2], message[at + 3], message[at + 4], message[at + 5], message[at + 6], message[at + 7])
            }
            at += len
        }
        return .some(found)
    }

    func ndisc_recv_ns(_ skb: SKB, message: [UInt8]) -> (name: String, detail: String)? {
        let f = trace.enter(.ndisc_recv_ns); defer { trace.leave(f) }
        guard message.count >= 24 else { return ("PKT_TOO_SMALL", "neighbour solicitation shorter than 24 bytes") }
        let target = IPv6Address(message.withUnsafeBytes { $0 }, at: 8)
        let (saddr, daddr) = skb.withIPv6 { ($0.source, $0.destination) }
        let dad = saddr.isUnspecified
        if target.isMulticast { return ("NOT_SPECIFIED", "neighbour solicitation for a multicast target \(target)") }
        if dad && !daddr.isSolicitedNodeMulticast {
            return ("NOT_SPECIFIED", "DAD solicitation not to a solicited-node group")
        }
        guard case .some(let lladdr) = Self.ndiscLinkAddress(message, from: 24, type: 1) else {
            return ("IPV6_NDISC_BAD_OPTIONS", "neighbour solicitation with malformed options")
        }
        if dad && lladdr != nil { return ("NOT_SPECIFIED", "DAD solicitation with a source link-layer option") }
        let idev = net.ipv6.idev(skb.dev)
        guard idev?.addresses.contains(target) == true || isAnycast6(target, dev: skb.dev) else {
            return ("IPV6_NDISC_NS_OTHERHOST", "neighbour solicitation for \(target), not one of \(skb.dev.name)'s addresses")
        }
        let isRouter = idev?.forwarding ?? false
        let inc = daddr.isMulticast
        if dad {
            // The NA defends the address; ndisc_recv_ns then leaves by `goto out` with its
            // reason still NOT_SPECIFIED (seen on 6.18): the NS is freed as a drop.
            ndisc_send_na(skb.dev, to: .allNodes, target: target, router: isRouter, solicited: false, override: true, includeOption: true)
            return ("NOT_SPECIFIED", "DAD for \(target), one of ours: defended with an NA to ff02::1 (the NS itself ends as NOT_SPECIFIED)")
        }
        // __neigh_lookup(create: !inc || lladdr) → ndisc_update(NUD_STALE).
        let key = NDKey(device: skb.dev.name, address: saddr)
        if !inc || lladdr != nil {
            var e = ndTbl[key] ?? NeighbourEntry(mac: nil, state: .none)
            if let mac = lladdr, e.state != .permanent, e.mac != mac || !e.state.isConnected {
                e.mac = mac
                if e.state != .reachable || e.mac != mac { e.state = .stale }
            }
            ndTbl[key] = e
        }
        guard ndTbl[key] != nil else { return ("NOT_SPECIFIED", "neighbour solicitation without a source link-layer address to a group") }
        ndisc_send_na(skb.dev, to: saddr, target: target, router: isRouter, solicited: true, override: inc, includeOption: inc)
        record.socket = "neighbour solicitation for \(target) (ours) from \(saddr): solicited NA"
        return nil
    }

    /// An anycast address of the device (the subnet-router anycast of a prefix, when forwarding).
    func isAnycast6(_ a: IPv6Address, dev: Interface) -> Bool { net.ipv6.fib6.anycast.contains(NDKey(device: dev.name, address: a)) }

    func ndisc_recv_na(_ skb: SKB, message: [UInt8]) -> (name: String, detail: String)? {
        let f = trace.enter(.ndisc_recv_na); defer { trace.leave(f) }
        guard message.count >= 24 else { return ("PKT_TOO_SMALL", "neighbour advertisement shorter than 24 bytes") }
        let target = IPv6Address(message.withUnsafeBytes { $0 }, at: 8)
        let solicited = message[4] & 0x40 != 0
        let daddr = skb.withIPv6 { $0.destination }
        if target.isMulticast { return ("NOT_SPECIFIED", "neighbour advertisement for a multicast target") }
        if daddr.isMulticast && solicited { return ("NOT_SPECIFIED", "solicited neighbour advertisement to a group") }
        guard case .some(let lladdr) = Self.ndiscLinkAddress(message, from: 24, type: 2) else {
            return ("IPV6_NDISC_BAD_OPTIONS", "neighbour advertisement with malformed options")
        }
        let key = NDKey(device: skb.dev.name, address: target)
        guard var e = ndTbl[key] else {
            return ("NOT_SPECIFIED", "neighbour advertisement for \(target): no entry for it (ndisc_recv_na makes none)")
        }
        if let mac = lladdr ?? e.mac, e.state != .permanent {
            e.mac = mac
            e.state = solicited ? .reachable : .stale
            ndTbl[key] = e
        }
        record.socket = "neighbour advertisement for \(target): entry now \(ndTbl[key]?.state.rawValue ?? "?")"
        return nil
    }

    /// ndisc_send_na → ndisc_send_skb: hop limit 255, the router/solicited/override flags, the
    /// target link-layer option when asked; LOCAL_OUT, then dst_output (an icmp6_dst_alloc dst:
    /// no FIB lookup).
    func ndisc_send_na(_ dev: Interface, to daddr: IPv6Address, target: IPv6Address, router: Bool, solicited: Bool,
                       override: Bool, includeOption: Bool) {
        let f = trace.enter(.ndisc_send_na); defer { trace.leave(f) }
        var m: [UInt8] = [136, 0, 0, 0, (router ? 0x80 : 0) | (solicited ? 0x40 : 0) | (override ? 0x20 : 0), 0, 0, 0]
        m += target.bytes
        if includeOption, let mac = dev.mac { m += [2, 1] + mac.bytes }
        let source = net.ipv6.idev(dev)?.addresses.contains(target) == true ? target
            : ipv6_dev_get_saddr(dev, daddr: daddr) ?? target
        ndisc_send_skb(m, dev: dev, source: source, daddr: daddr, what: "neighbour advertisement")
    }

    /// ndisc_send_skb: the checksum, an IPv6 header with hop limit 255, Icmp6Out* and
    /// Ip6OutRequests, LOCAL_OUT, then dst_output (an icmp6_dst_alloc dst: no FIB lookup).
    func ndisc_send_skb(_ message: [UInt8], dev: Interface, source: IPv6Address, daddr: IPv6Address, what: String) {
        var m = message
        let pseudo = InternetChecksum.pseudoHeader(source: source, destination: daddr, nextHeader: 58, length: m.count)
        let c = m.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0, initial: pseudo)) }
        m[2] = UInt8(c >> 8); m[3] = UInt8(c & 0xff)
        let packet = IPv6Header(source: source, destination: daddr, nextHeader: .icmpv6, hopLimit: 255).emit(payload: m)
        let g = trace.enter(.ndisc_send_skb); defer { trace.leave(g) }
        icmp6MsgOut(m[0])
        ip6OutRequest(packet.count)
        emitting(what) {
            if nf_hook(NFHookState(hook: .localOut, outdev: dev, outgoing: packet, family: .ip6)) {
                dst_output6(OutputSKB6(packet: packet, dev: dev, nextHop: daddr))
            }
        }
    }
}
