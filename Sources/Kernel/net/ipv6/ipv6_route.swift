// net/ipv6/route.c, net/ipv6/fib6_rules.c — the input route (6.18, 5.4):
//   ip6_route_input → ip6_route_input_lookup → fib6_rule_lookup
//     no custom rules: ip6_pol_route_input on the local table, then on main (each
//     ip6_pol_route → fib6_table_lookup, one fib6:fib6_table_lookup record each);
//     custom rules: fib_rules_lookup → fib6_rule_action → the rule's table.
//   The route's type decides dst.input (ip6_rt_init_dst): local/anycast → ip6_input, multicast →
//   ip6_mc_input, unicast → ip6_forward; blackhole → dst_discard, prohibit → ip6_pkt_prohibit,
//   unreachable/throw and no route (ip6_null_entry) → ip6_pkt_discard.
import HostModel
import Wire

/// An IPv6 route attached to an skb (its rt6_info as far as the model needs it).
struct Route6 {
    enum Input { case input, mcInput, forward, discard, prohibit, blackhole }
    var input: Input
    var route: Route?
    var table: RouteTable?
    /// The device the route goes out of, and its next hop (the gateway, or the destination).
    var dev: Interface?
    var nextHop: IPv6Address?

    /// What `explain` shows of it.
    var report: InputRoute {
        let type: RouteType = route?.type ?? .unreachable
        let handler: String
        switch input {
        case .input: handler = "ip6_input"
        case .mcInput: handler = "ip6_mc_input"
        case .forward: handler = "ip6_forward"
        case .discard: handler = "ip6_pkt_discard"
        case .prohibit: handler = "ip6_pkt_prohibit"
        case .blackhole: handler = "dst_discard"
        }
        return InputRoute(input: input == .input || input == .mcInput ? .localDeliver : input == .forward ? .forward : .error(errno: input == .prohibit ? 13 : input == .blackhole ? 22 : 113),
                          type: type, table: table, prefix: route?.destination, device: dev?.name ?? route?.device,
                          gateway: nil, source: nil, rulePriority: nil, mtu: route?.mtu, handler: handler)
    }
}

extension SKB {
    /// skb_dst() of an IPv6 skb.
    var dst6: Route6? {
        get { route6 }
        set { route6 = newValue; dst = newValue?.report }
    }
}

extension Kernel {
    func ip6_route_input(_ skb: SKB) {
        let f = trace.enter(.ip6_route_input); defer { trace.leave(f) }
        let (src, dst, proto) = skb.withIPv6 { ($0.source, $0.destination, $0.nextHeaderNumber) }
        skb.dst6 = ip6_route_input_lookup(src: src, dst: dst, iif: skb.dev, mark: skb.mark, proto: proto)
    }

    func ip6_route_input_lookup(src: IPv6Address, dst: IPv6Address, iif: Interface, mark: UInt32, proto: UInt8) -> Route6 {
        let f = trace.enter(.ip6_route_input_lookup); defer { trace.leave(f) }
        return fib6_rule_lookup(src: src, dst: dst, iif: iif, oif: nil, mark: mark, proto: proto)
    }

    /// The rules (or, without custom ones, local then main), each table by ip6_pol_route.
    func fib6_rule_lookup(src: IPv6Address, dst: IPv6Address, iif: Interface?, oif: Interface?, mark: UInt32, proto: UInt8) -> Route6 {
        let f = trace.enter(.fib6_rule_lookup); defer { trace.leave(f) }
        let fib6 = net.ipv6.fib6
        if !fib6.hasCustomRules {
            let local = ip6_pol_route(.local, src: src, dst: dst, iif: iif, oif: oif, proto: proto)
            if local.route != nil { return local }
            return ip6_pol_route(.main, src: src, dst: dst, iif: iif, oif: oif, proto: proto)
        }
        let g = trace.enter(.fib_rules_lookup); defer { trace.leave(g) }
        for rule in fib6.rules {
            var m = true
            if let s = rule.source, !s.contains(.v6(src)) { m = false }
            if let d = rule.destination, !d.contains(.v6(dst)) { m = false }
            if let i = rule.inputInterface, i != (iif?.name ?? "lo") { m = false }
            if let o = rule.outputInterface, o != oif?.name { m = false }
            if let fm = rule.fwmark, (mark ^ fm) & (rule.fwmask ?? 0xffff_ffff) != 0 { m = false }
            guard m != rule.invert else { continue }
            switch rule.action {
            case .lookup(let t):
                let r = ip6_pol_route(t, src: src, dst: dst, iif: iif, oif: oif, proto: proto)
                if r.route != nil, r.route?.type != .throw { return r }
            case .blackhole: return Route6(input: .blackhole)
            case .prohibit: return Route6(input: .prohibit)
            case .unreachable: return Route6(input: .discard)
            case .goto, .nop: continue
            }
        }
        return Route6(input: .discard)
    }

    /// ip6_pol_route (through ip6_pol_route_input): fib6_table_lookup, and the route it found.
    func ip6_pol_route(_ table: RouteTable, src: IPv6Address, dst: IPv6Address, iif: Interface?, oif: Interface?, proto: UInt8) -> Route6 {
        let f = trace.enter(iif != nil ? .ip6_pol_route_input : .ip6_pol_route_output); defer { trace.leave(f) }
        let g = trace.enter(.ip6_pol_route); defer { trace.leave(g) }
        let found = fib6_table_lookup(table, src: src, dst: dst, iif: iif, oif: oif, proto: proto)
        guard let r = found else { return Route6(input: .discard, table: table) }
        let dev = r.device.flatMap { host.interface(named: $0) }
        var hop = dst
        if case .v6(let gw)? = r.gateway { hop = gw }
        let input: Route6.Input
        switch r.type {
        case .local, .anycast: input = .input
        case .multicast: input = .mcInput
        case .unicast: input = .forward
        case .blackhole: input = .blackhole
        case .prohibit: input = .prohibit
        default: input = .discard
        }
        return Route6(input: input, route: r, table: table, dev: dev, nextHop: hop)
    }

    /// fib6_table_lookup: the longest match, and the fib6:fib6_table_lookup record (ip6_null_entry,
    /// on lo with err -113, when nothing matches).
    func fib6_table_lookup(_ table: RouteTable, src: IPv6Address, dst: IPv6Address, iif: Interface?, oif: Interface?, proto: UInt8) -> Route? {
        let f = trace.enter(.fib6_table_lookup); defer { trace.leave(f) }
        let r = net.ipv6.fib6.lookup(table, dst)
        let err: Int
        switch r?.type {
        case nil, .unreachable?, .throw?: err = r?.type == .throw ? -11 : -113   // ip6_null_entry is RTN_UNREACHABLE
        case .blackhole?: err = -22
        case .prohibit?: err = -13
        default: err = 0
        }
        let dev = r?.device ?? "lo"
        var gw = "::"
        if case .v6(let g)? = r?.gateway { gw = g.description }
        record.fib.append(FIBLookup(table: table, source: .v6(src), destination: .v6(dst), iif: iif?.index ?? 1, oif: oif?.index ?? 0,
                                    result: "dev \(dev) gw \(gw) err \(err)"))
        return r
    }

    /// ip6_pkt_discard / ip6_pkt_prohibit → ip6_pkt_drop: Ip6InNoRoutes (Ip6InAddrErrors for
    /// ::), a destination unreachable, IP_INNOROUTES.
    func ip6_pkt_discard(_ skb: SKB) {
        let f = trace.enter(.ip6_pkt_discard); defer { trace.leave(f) }
        ip6_pkt_drop(skb, code: 0)   // inlined: the drop is reported at ip6_pkt_discard
    }

    func ip6_pkt_prohibit(_ skb: SKB) {
        let f = trace.enter(.ip6_pkt_prohibit); defer { trace.leave(f) }
        ip6_pkt_drop(skb, code: 1)
    }

    func ip6_pkt_drop(_ skb: SKB, code: UInt8) {
        let f = trace.enter(.ip6_pkt_drop); defer { trace.leave(f) }
        let dst = skb.withIPv6 { $0.destination }
        let reason: String
        if dst.isUnspecified {
            counters.inc(.Ip6InAddrErrors)
            reason = "IP_INADDRERRORS"
        } else {
            counters.inc(.Ip6InNoRoutes)
            reason = "IP_INNOROUTES"
        }
        icmpv6_send(skb, type: 1, code: code, info: 0)
        kfree_skb_reason(reason, detail: code == 1 ? "\(dst): a prohibit route: ICMPv6 administratively prohibited"
                         : "no route to \(dst) (or an unreachable route): ICMPv6 no route to destination")
    }

    /// dst_discard (a blackhole route): freed without a word.
    func dst_discard(_ skb: SKB) {
        let f = trace.enter(.dst_discard); defer { trace.leave(f) }
        trace.tailCall(from: f) {
            let g = trace.enter(.dst_discard_out); defer { trace.leave(g) }
            kfree_skb_reason("NOT_SPECIFIED", detail: "\(skb.withIPv6 { $0.destination }): a blackhole route (dst_discard)")
        }
    }

    /// ip6_route_output for the host's own packets (replies): the route and the source address
    /// (ipv6_dev_get_saddr when `saddr` is nil). Nil: no route (ip6_null_entry).
    func ip6_route_output(daddr: IPv6Address, saddr: IPv6Address?, oif: Interface?, proto: UInt8) -> (route: Route6, source: IPv6Address)? {
        let f = trace.enter(.ip6_route_output_flags); defer { trace.leave(f) }
        // A link-local or multicast destination goes out of the interface it came in on.
        var rt: Route6
        if let oif, daddr.isLinkLocal || daddr.isMulticast {
            rt = fib6_rule_lookup(src: saddr ?? IPv6Address(high: 0, low: 0), dst: daddr, iif: nil, oif: oif, mark: 0, proto: proto)
            rt.dev = oif
            rt.nextHop = daddr
        } else {
            rt = fib6_rule_lookup(src: saddr ?? IPv6Address(high: 0, low: 0), dst: daddr, iif: nil, oif: oif, mark: 0, proto: proto)
        }
        guard rt.route != nil, rt.input == .forward || rt.input == .input || rt.input == .mcInput, let dev = rt.dev else { return nil }
        if rt.route?.type == .local, let real = oif { rt.dev = real }
        let source = saddr ?? ipv6_dev_get_saddr(dev, daddr: daddr) ?? IPv6Address(high: 0, low: 0)
        return (rt, source)
    }

    /// ipv6_dev_get_saddr (RFC 6724's rules, as far as the model needs them): an address of the
    /// outgoing device with the destination's scope, the longest common prefix first.
    func ipv6_dev_get_saddr(_ dev: Interface, daddr: IPv6Address) -> IPv6Address? {
        let mine = net.ipv6.idev(dev)?.addresses ?? []
        let sameScope = mine.filter { $0.isLinkLocal == (daddr.isLinkLocal || daddr.isMulticast && daddr.multicastScope <= 2) }
        let pool = sameScope.isEmpty ? mine : sameScope
        func common(_ a: IPv6Address) -> Int {
            let h = (a.high ^ daddr.high), l = (a.low ^ daddr.low)
            return h != 0 ? h.leadingZeroBitCount : 64 + l.leadingZeroBitCount
        }
        return pool.max { common($0) < common($1) }
    }
}
