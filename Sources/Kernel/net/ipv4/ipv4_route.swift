// net/ipv4/route.c (input side) and fib_validate_source from net/ipv4/fib_frontend.c —
// modelled: 6.18 (drop reasons from ip_route_input_slow as of 6.13), 5.4 (same decisions).
import HostModel
import Wire

/// A drop reason with the model's own words on why.
struct DropReason {
    var name: String
    var detail: String
}

extension Kernel {
    /// ip_route_input_noref → ip_route_input_rcu → ip_route_input_slow. Sets skb.dst, or returns
    /// the reason the packet is dropped (a martian).
    func ip_route_input_noref(_ skb: SKB) -> DropReason? {
        let f = trace.enter(.ip_route_input_noref); defer { trace.leave(f) }
        let (src, dst, tos, proto) = skb.withIPv4 { ($0.source, $0.destination, $0.tos, $0.protocolNumber) }
        return ip_route_input_slow(skb, daddr: dst, saddr: src, tos: tos, proto: proto)
    }

    func ip_route_input_slow(_ skb: SKB, daddr: IPv4Address, saddr: IPv4Address, tos: UInt8, proto: UInt8) -> DropReason? {
        let f = trace.enter(.ip_route_input_slow); defer { trace.leave(f) }
        let dev = skb.dev
        let forwarding = net.ipv4.conf(dev).forwarding
        let localnet = net.ipv4.conf(dev).routeLocalnet

        if saddr.isMulticast || saddr.isLimitedBroadcast {
            return martianSource("IP_INVALID_SOURCE", "source \(saddr) is multicast or limited broadcast")
        }
        if daddr.isLimitedBroadcast || (saddr.isUnspecified && daddr.isUnspecified) {
            return brd_input(skb, saddr: saddr, daddr: daddr, tos: tos)
        }
        if saddr.isZeroNet { return martianSource("IP_INVALID_SOURCE", "source \(saddr) is in 0.0.0.0/8") }
        if daddr.isZeroNet { return DropReason(name: "IP_INVALID_DEST", detail: "martian destination \(daddr) (0.0.0.0/8)") }
        if daddr.isLoopback {
            if !localnet { return DropReason(name: "IP_LOCALNET", detail: "martian destination \(daddr): loopback address on \(dev.name) (route_localnet=0)") }
        } else if saddr.isLoopback, !localnet {
            return martianSource("IP_LOCALNET", "source \(saddr) is a loopback address on \(dev.name) (route_localnet=0)")
        }

        var fl = Flow(source: saddr, destination: daddr, iif: dev, oif: nil, mark: skb.mark, tos: tos & 0x1c)
        if fib4_rules_early_flow_dissect { fl.proto = proto; (fl.sport, fl.dport) = ports(skb) }
        switch fib_lookup(fl) {
        case .failure(let e):
            let errno = forwarding ? e.errno : EHOSTUNREACH
            skb.dst = InputRoute(input: .error(errno: errno), type: .unreachable, table: e.table, prefix: e.route?.destination,
                                 device: nil, gateway: nil, source: nil, rulePriority: e.rule?.priority, mtu: nil)
            if let r = e.route, forwarding { skb.dst?.type = r.type }
            return nil
        case .success(let res):
            let r = res.route
            switch r.type {
            case .broadcast:
                return brd_input(skb, saddr: saddr, daddr: daddr, tos: tos, result: res)
            case .local:
                if let reason = fib_validate_source(skb, src: saddr, dst: daddr, tos: tos, oif: nil) { return reason }
                skb.dst = InputRoute(input: .localDeliver, type: .local, table: res.table, prefix: r.destination,
                                     device: r.device, gateway: nil, source: nil, rulePriority: res.rule?.priority, mtu: nil)
                return nil
            default:
                if !forwarding {
                    skb.dst = InputRoute(input: .error(errno: EHOSTUNREACH), type: .unreachable, table: res.table, prefix: r.destination,
                                         device: r.device, gateway: nil, source: nil, rulePriority: res.rule?.priority, mtu: nil)
                    return nil
                }
                guard r.type == .unicast else {
                    return DropReason(name: "IP_INVALID_DEST", detail: "martian destination: \(r.type.rawValue) route \(r.destination)")
                }
                return ip_mkroute_input(skb, result: res, saddr: saddr, daddr: daddr, tos: tos)
            }
        }
    }

    /// Whether policy rules look at ports or protocol (fib4_rules_early_flow_dissect).
    var fib4_rules_early_flow_dissect: Bool { net.ipv4.fib.rulesUsePorts }

    func ports(_ skb: SKB) -> (UInt16, UInt16) {
        skb.withIPv4 { ip in
            guard ip.fragOffset == 0, ip.payload.count >= 4, ip.protocolNumber == 6 || ip.protocolNumber == 17 else { return (0, 0) }
            return (ip.payload.u16(0), ip.payload.u16(2))
        }
    }

    func brd_input(_ skb: SKB, saddr: IPv4Address, daddr: IPv4Address, tos: UInt8, result: FibResult? = nil) -> DropReason? {
        if skb.proto != .ipv4 { return DropReason(name: "NOT_SPECIFIED", detail: "broadcast for a non-IP protocol") }
        if !saddr.isZeroNet, let reason = fib_validate_source(skb, src: saddr, dst: .any, tos: tos, oif: nil) {
            return reason
        }
        skb.dst = InputRoute(input: .localDeliver, type: .broadcast, table: result?.table, prefix: result?.route.destination,
                             device: result?.route.device ?? skb.dev.name, gateway: nil, source: nil,
                             rulePriority: result?.rule?.priority, mtu: nil)
        return nil
    }

    func martianSource(_ name: String, _ detail: String) -> DropReason {
        DropReason(name: name, detail: "martian source: " + detail)
    }

    /// __mkroute_input: a forwarding route; rp_filter applies to forwarded packets too.
    func ip_mkroute_input(_ skb: SKB, result res: FibResult, saddr: IPv4Address, daddr: IPv4Address, tos: UInt8) -> DropReason? {
        let f = trace.enter(.ip_mkroute_input); defer { trace.leave(f) }
        let out = res.route.device.flatMap { host.interface(named: $0) }
        if let reason = fib_validate_source(skb, src: saddr, dst: daddr, tos: tos, oif: out) { return reason }
        var gw: IPv4Address? = nil
        if case .v4(let g)? = res.route.gateway { gw = g }
        var src: IPv4Address? = nil
        if case .v4(let s)? = res.route.preferredSource { src = s }
        skb.dst = InputRoute(input: .forward, type: .unicast, table: res.table, prefix: res.route.destination, device: res.route.device,
                             gateway: gw, source: src, rulePriority: res.rule?.priority,
                             mtu: res.route.mtu ?? out?.mtu)
        return nil
    }

    /// fib_validate_source: the reverse-path check. Nil when the source is acceptable.
    func fib_validate_source(_ skb: SKB, src: IPv4Address, dst: IPv4Address, tos: UInt8, oif: Interface?) -> DropReason? {
        let f = trace.enter(.fib_validate_source); defer { trace.leave(f) }
        let dev = skb.dev
        let rpf = net.ipv4.conf(dev).rpFilter
        let acceptLocal = net.ipv4.conf(dev).acceptLocal
        if rpf == 0 && (oif == nil || dev.index != oif!.index) {
            if acceptLocal { return nil }
            // fib_has_custom_local_routes || fib4_has_custom_rules (worked out once per host)
            if !net.ipv4.fib.hasCustomLocalRoutes && !net.ipv4.fib.hasCustomRules {
                if host.interfaces.contains(where: { $0.addresses.contains { $0.address == .v4(src) } }) {
                    return DropReason(name: "IP_LOCAL_SOURCE", detail: "martian source: \(src) is one of this host's addresses")
                }
                return nil
            }
        }
        return __fib_validate_source(skb, src: src, dst: dst, tos: tos, oif: oif, rpf: rpf, acceptLocal: acceptLocal)
    }

    func __fib_validate_source(_ skb: SKB, src: IPv4Address, dst: IPv4Address, tos: UInt8, oif: Interface?, rpf: Int, acceptLocal: Bool) -> DropReason? {
        let f = trace.enter(.__fib_validate_source); defer { trace.leave(f) }
        let dev = skb.dev
        let lo = host.interfaces.first { $0.isLoopback }
        var fl = Flow(source: dst, destination: src, iif: oif ?? lo, oif: nil, mark: 0, tos: tos & 0x1c)
        let noAddr = dev.ipv4Addresses.isEmpty
        let rpfFail = DropReason(name: "IP_RPFILTER", detail: "rp_filter=\(rpf) on \(dev.name): the route back to \(src) does not leave by \(dev.name)")
        guard case .success(let res) = fib_lookup(fl) else { return rpf != 0 ? rpfFail : nil }
        if res.route.type != .unicast && (res.route.type != .local || !acceptLocal) {
            return DropReason(name: "IP_LOCAL_SOURCE", detail: "martian source: \(src) routes back as \(res.route.type.rawValue)")
        }
        if res.route.device == dev.name || (res.route.type == .local && dev.isLoopback) { return nil }
        if noAddr { return rpf != 0 ? rpfFail : nil }
        if rpf == 1 { return rpfFail }
        fl.oif = dev  // loose mode: any route back through this device will do
        if case .success(let r2) = fib_lookup(fl), r2.route.type == .unicast { return nil }
        return nil
    }

    /// ip_error: the dst of an unroutable packet. ICMP only when forwarding is on.
    func ip_error(_ skb: SKB, errno: Int32) {
        let f = trace.enter(.ip_error); defer { trace.leave(f) }
        let forwarding = net.ipv4.conf(skb.dev).forwarding
        var reason = "NOT_SPECIFIED"
        let dst = skb.withIPv4 { $0.destination }
        if !forwarding {
            switch errno {
            case EHOSTUNREACH: reason = "IP_INADDRERRORS"; counters.inc(.IpInAddrErrors)
            case ENETUNREACH: reason = "IP_INNOROUTES"; counters.inc(.IpExtInNoRoutes)
            default: break
            }
            kfree_skb_reason(reason, detail: "\(dst) is not local and forwarding is off on \(skb.dev.name): no ICMP is sent")
            return
        }
        var code: UInt8
        var what: String
        switch errno {
        case EHOSTUNREACH: code = 1; what = "unreachable route: ICMP host unreachable"
        case ENETUNREACH: code = 0; what = "no route: ICMP net unreachable"; reason = "IP_INNOROUTES"; counters.inc(.IpExtInNoRoutes)
        case EACCES: code = 13; what = "prohibit route: ICMP administratively prohibited"
        default:
            kfree_skb_reason(reason, detail: "blackhole route to \(dst): dropped silently")
            return
        }
        icmp_send(skb, type: 3, code: code, info: 0)
        kfree_skb_reason(reason, detail: what)
    }
}

extension HostModel.Sysctls {
    /// IN_DEV_FORWARD: the device's forwarding flag (set from ip_forward when that is written).
    func forwarding(device: String) -> Bool {
        if let v = int("net.ipv4.conf.\(device).forwarding") { return v != 0 }
        return (int("net.ipv4.ip_forward") ?? 0) != 0
    }
}
