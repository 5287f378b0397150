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
        if dst.isMulticast {
            let g = trace.enter(.ip_route_input_rcu); defer { trace.leave(g) }
            return ip_route_input_multicast(skb, daddr: dst, saddr: src, tos: tos)
        }
        return ip_route_input_slow(skb, daddr: dst, saddr: src, tos: tos, proto: proto)
    }

    /// ip_route_input_rcu's multicast branch: a group the device joined gets a local multicast
    /// route (ip_route_input_mc); one it did not is refused (no multicast routing here: with
    /// mc_forwarding a router would take it). No FIB lookup is made for the group.
    func ip_route_input_multicast(_ skb: SKB, daddr: IPv4Address, saddr: IPv4Address, tos: UInt8) -> DropReason? {
        guard ip_check_mc_rcu(skb.dev, group: daddr) else {
            return DropReason(name: "NOT_SPECIFIED", detail: "multicast to \(daddr), a group \(skb.dev.name) has not joined (and no multicast routing)")
        }
        let f = trace.enter(.ip_route_input_mc); defer { trace.leave(f) }
        if let reason = ip_mc_validate_source(skb, daddr: daddr, saddr: saddr, tos: tos) { return reason }
        skb.dst = InputRoute(input: .localDeliver, type: .multicast, table: nil, prefix: nil, device: skb.dev.name,
                             gateway: nil, source: nil, rulePriority: nil, mtu: nil)
        return nil
    }

    /// ip_mc_validate_source: no multicast or broadcast source; loopback only with
    /// route_localnet; 0.0.0.0 only to 224.0.0.0/24 or for IGMP; else the reverse-path check.
    func ip_mc_validate_source(_ skb: SKB, daddr: IPv4Address, saddr: IPv4Address, tos: UInt8) -> DropReason? {
        let f = trace.enter(.ip_mc_validate_source); defer { trace.leave(f) }
        if saddr.isMulticast || saddr.isLimitedBroadcast {
            return martianSource("NOT_SPECIFIED", "source \(saddr) of a multicast datagram is multicast or broadcast")
        }
        if saddr.isLoopback && !net.ipv4.conf(skb.dev).routeLocalnet {
            return martianSource("NOT_SPECIFIED", "loopback source \(saddr) on \(skb.dev.name) (route_localnet=0)")
        }
        if saddr.isZeroNet {
            if !daddr.isLocalMulticast && skb.withIPv4({ $0.protocolNumber }) != 2 {
                return martianSource("NOT_SPECIFIED", "source \(saddr) to \(daddr): 0.0.0.0 is only for 224.0.0.0/24 and IGMP")
            }
            return nil
        }
        return fib_validate_source(skb, src: saddr, dst: .any, tos: tos, oif: nil).martian
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
                if let reason = fib_validate_source(skb, src: saddr, dst: daddr, tos: tos, oif: nil).martian { return reason }
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
        if !saddr.isZeroNet, let reason = fib_validate_source(skb, src: saddr, dst: .any, tos: tos, oif: nil).martian {
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

    /// __mkroute_input: a forwarding route; rp_filter applies to forwarded packets too. A packet
    /// that leaves by the device it came in on, from a sender the reverse route reaches directly,
    /// toward a next hop on the sender's subnet (inet_addr_onlink; any, with shared_media) is
    /// marked for a redirect (IPSKB_DOREDIRECT), where send_redirects is on.
    func ip_mkroute_input(_ skb: SKB, result res: FibResult, saddr: IPv4Address, daddr: IPv4Address, tos: UInt8) -> DropReason? {
        let f = trace.enter(.ip_mkroute_input); defer { trace.leave(f) }
        let out = res.route.device.flatMap { host.interface(named: $0) }
        let source = fib_validate_source(skb, src: saddr, dst: daddr, tos: tos, oif: out)
        if let reason = source.martian { return reason }
        var gw: IPv4Address? = nil
        if case .v4(let g)? = res.route.gateway { gw = g }
        if let out, out.index == skb.dev.index, source.onLink, net.ipv4.conf(out).sendRedirects, skb.proto == .ipv4 {
            // inet_addr_onlink(out_dev, saddr, gw): one of its subnets holds both.
            if net.ipv4.conf(out).sharedMedia || out.ipv4Addresses.contains(where: { a in a.prefix.contains(saddr) && (gw.map { a.prefix.contains($0) } ?? true) }) {
                skb.doRedirect = true
            }
        }
        var src: IPv4Address? = nil
        if case .v4(let s)? = res.route.preferredSource { src = s }
        skb.dst = InputRoute(input: .forward, type: .unicast, table: res.table, prefix: res.route.destination, device: res.route.device,
                             gateway: gw, source: src, rulePriority: res.rule?.priority,
                             mtu: res.route.mtu ?? out?.mtu)
        return nil
    }

    /// ip_rt_send_redirect: an ICMP host redirect to the sender, naming the next hop the route
    /// chose (rt_nexthop: the gateway, else the destination), where the output device has
    /// send_redirects on; backed off per sender (its inet_peer): the first at once, the next
    /// only after ip_rt_redirect_load << n_redirects jiffies, none after ip_rt_redirect_number
    /// (9) until ip_rt_redirect_silence has passed without a redirected packet.
    func ip_rt_send_redirect(_ skb: SKB) {
        let f = trace.enter(.ip_rt_send_redirect); defer { trace.leave(f) }
        guard let rt = skb.dst, let out = rt.device.flatMap({ host.interface(named: $0) }), net.ipv4.conf(out).sendRedirects else { return }
        let (saddr, daddr) = skb.withIPv4 { ($0.source, $0.destination) }
        let gw = rt.gateway ?? daddr
        let load = Self.hz / 50, number = 9, silence = (Self.hz / 50) << (9 + 1)
        var peer = net.ipv4.peers.redirects[saddr] ?? (rateLast: 0, count: 0)
        defer { net.ipv4.peers.redirects[saddr] = peer }
        if jiffies > peer.rateLast + silence { peer.count = 0 }
        if peer.count >= number {
            peer.rateLast = jiffies
            record.timers.append("ip_rt_send_redirect: \(saddr) has had \(number) redirects; none until \(Double(silence) / Double(Self.hz)) s without one")
            return
        }
        if peer.count == 0 || jiffies > peer.rateLast + (load << peer.count) {
            icmp_send(skb, type: 5, code: 1, info: gw.value)
            peer.rateLast = jiffies
            peer.count += 1
        }
    }

    /// What fib_validate_source returns: a martian source (its reason), or 0 / 1, 1 when the
    /// route back to the source is direct (its nexthop's scope is host: no gateway).
    struct SourceCheck {
        var martian: DropReason?
        var onLink = false
        static let ok = SourceCheck(martian: nil)
    }

    /// fib_validate_source: the reverse-path check. Without rp_filter it is skipped unless the
    /// packet may leave by the device it came in on with redirects on (the redirect needs it).
    func fib_validate_source(_ skb: SKB, src: IPv4Address, dst: IPv4Address, tos: UInt8, oif: Interface?) -> SourceCheck {
        let f = trace.enter(.fib_validate_source); defer { trace.leave(f) }
        let dev = skb.dev
        let conf = net.ipv4.conf(dev)
        let rpf = conf.rpFilter
        let acceptLocal = conf.acceptLocal
        if rpf == 0 && (oif == nil || dev.index != oif!.index || !conf.sendRedirects) {
            if acceptLocal { return .ok }
            // fib_has_custom_local_routes || fib4_has_custom_rules (worked out once per host)
            if !net.ipv4.fib.hasCustomLocalRoutes && !net.ipv4.fib.hasCustomRules {
                if host.interfaces.contains(where: { $0.addresses.contains { $0.address == .v4(src) } }) {
                    return SourceCheck(martian: DropReason(name: "IP_LOCAL_SOURCE", detail: "martian source: \(src) is one of this host's addresses"))
                }
                return .ok
            }
        }
        return __fib_validate_source(skb, src: src, dst: dst, tos: tos, oif: oif, rpf: rpf, acceptLocal: acceptLocal)
    }

    func __fib_validate_source(_ skb: SKB, src: IPv4Address, dst: IPv4Address, tos: UInt8, oif: Interface?, rpf: Int, acceptLocal: Bool) -> SourceCheck {
        let f = trace.enter(.__fib_validate_source); defer { trace.leave(f) }
        let dev = skb.dev
        let lo = host.interfaces.first { $0.isLoopback }
        var fl = Flow(source: dst, destination: src, iif: oif ?? lo, oif: nil, mark: 0, tos: tos & 0x1c)
        let noAddr = dev.ipv4Addresses.isEmpty
        let rpfFail = DropReason(name: "IP_RPFILTER", detail: "rp_filter=\(rpf) on \(dev.name): the route back to \(src) does not leave by \(dev.name)")
        let lastResort = rpf != 0 ? SourceCheck(martian: rpfFail) : .ok
        guard case .success(let res) = fib_lookup(fl) else { return lastResort }
        if res.route.type != .unicast && (res.route.type != .local || !acceptLocal) {
            return SourceCheck(martian: DropReason(name: "IP_LOCAL_SOURCE", detail: "martian source: \(src) routes back as \(res.route.type.rawValue)"))
        }
        // FIB_RES_NHC(res)->nhc_scope >= RT_SCOPE_HOST: a nexthop without a gateway.
        if res.route.device == dev.name || (res.route.type == .local && dev.isLoopback) { return SourceCheck(martian: nil, onLink: res.route.gateway == nil) }
        if noAddr { return lastResort }
        if rpf == 1 { return SourceCheck(martian: rpfFail) }
        fl.oif = dev  // loose mode: any route back through this device will do
        if case .success(let r2) = fib_lookup(fl), r2.route.type == .unicast { return SourceCheck(martian: nil, onLink: r2.route.gateway == nil) }
        return .ok
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
