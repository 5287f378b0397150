// net/ipv4/route.c (output side) — modelled: 6.18 (checked: the FIB lookups of UDP, ping, raw
// and TCP connect sends), 5.4.
// ip_route_output_flow → ip_route_output_key_hash_rcu: fib_lookup with the policy rules, the
// source address (the route's prefsrc, else the output device's primary address), the route's
// errors as the socket call returns them (no route -ENETUNREACH, unreachable -EHOSTUNREACH,
// prohibit -EACCES, blackhole -EINVAL), and the route MTU: a PMTU learned from ICMP
// fragmentation-needed (a route exception, __ip_rt_update_pmtu) wins over the route's `mtu`
// metric, which wins over the device MTU (ipv4_mtu).
import HostModel
import Wire

/// An output route (struct rtable) as a sender sees it.
struct OutputRoute {
    var dev: Interface
    var nextHop: IPv4Address
    var source: IPv4Address
    var type: RouteType
    /// dst_mtu: PMTU exception, else the route's mtu metric, else the device MTU.
    var mtu: Int
    /// The route's MTU is locked (`mtu lock`): no DF, PMTU discovery off.
    var mtuLocked: Bool
    var report: InputRoute
}

let EMSGSIZE: Int32 = 90, EADDRNOTAVAIL: Int32 = 99

extension Kernel {
    /// An errno's name, as the model and `tracer verify` report a failed socket call.
    public static func errnoName(_ e: Int32) -> String {
        switch e {
        case EPERM: "EPERM"
        case EADDRINUSE: "EADDRINUSE"
        case ENOBUFS: "ENOBUFS"
        case EACCES: "EACCES"
        case EINVAL: "EINVAL"
        case ENETUNREACH: "ENETUNREACH"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case EMSGSIZE: "EMSGSIZE"
        case EAGAIN: "EAGAIN"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        default: "errno \(e)"
        }
    }

    /// ip_route_output_flow: the output route for `fl`, or the errno (__ip_route_output_key; no
    /// xfrm policy is modelled). The route is kept in `outputRoute` for the frame's report.
    func ip_route_output_flow(_ fl: Flow) -> Result<OutputRoute, FibError> {
        let f = trace.enter(.ip_route_output_flow); defer { trace.leave(f) }
        return __ip_route_output_key(fl)
    }

    /// __ip_route_output_key (include/net/route.h): ip_route_output_key_hash → _rcu, the lookup
    /// itself; ip_route_connect calls it directly to choose an unbound socket's source address.
    func __ip_route_output_key(_ fl: Flow) -> Result<OutputRoute, FibError> {
        let g = trace.enter(.__ip_route_output_key); defer { trace.leave(g) }
        let h = trace.enter(.ip_route_output_key_hash); defer { trace.leave(h) }
        let k = trace.enter(.ip_route_output_key_hash_rcu); defer { trace.leave(k) }
        if fl.source != .any, !host.interfaces.contains(where: { $0.ipv4Addresses.contains { $0.address == .v4(fl.source) } }) {
            return .failure(FibError(errno: EINVAL, route: nil, table: nil, rule: nil))
        }
        // With an output device (IP_MULTICAST_IF, SO_BINDTODEVICE), a link-local multicast, a
        // limited broadcast or an IGMP packet needs no route (`goto make_route`); another multicast
        // destination the tables do not hold is taken as on-link ("routing tables are wrong").
        if let dev = fl.oif, fl.destination.isMulticast || fl.destination.isLimitedBroadcast {
            let linkLocal = fl.destination.isLimitedBroadcast || fl.destination.value >> 8 == 0xe0_0000 || fl.proto == 2
            if linkLocal || { if case .failure = fib_lookup(fl) { return true } else { return false } }() {
                let src = fl.source != .any ? fl.source : dev.primaryIPv4 ?? .any
                let type: RouteType = fl.destination.isMulticast ? .multicast : .broadcast
                let report = InputRoute(input: .output, type: type, table: nil, prefix: nil, device: dev.name, gateway: nil,
                                        source: src, rulePriority: nil, mtu: dev.mtu)
                outputRoute = report
                return .success(OutputRoute(dev: dev, nextHop: fl.destination, source: src, type: type, mtu: dev.mtu, mtuLocked: false, report: report))
            }
        }
        let res: FibResult
        switch fib_lookup(fl) {
        case .failure(let e):
            outputRoute = InputRoute(input: .outputError(errno: e.errno), type: e.route?.type ?? .unreachable, table: e.table,
                                     prefix: e.route?.destination, device: nil, gateway: nil, source: nil, rulePriority: e.rule?.priority)
            return .failure(e)
        case .success(let r): res = r
        }
        guard let devName = res.route.device, let dev = host.interface(named: devName) else {
            return .failure(FibError(errno: ENETUNREACH, route: res.route, table: res.table, rule: res.rule))
        }
        var hop = fl.destination
        // __mkroute_output: a multicast destination makes an RTN_MULTICAST route; found through
        // a route shorter than /4 (the default), its gateway is not used ("Yes, it is hack").
        let multicast = fl.destination.isMulticast
        let viaGateway = !(multicast && res.route.destination.length < 4)
        if viaGateway, case .v4(let gw)? = res.route.gateway { hop = gw }
        let type: RouteType = multicast ? .multicast : res.route.type
        var src = fl.source
        if src == .any {
            if case .v4(let p)? = res.route.preferredSource { src = p } else { src = dev.primaryIPv4 ?? .any }
        }
        let locked = res.route.flags.contains("lock") || res.route.flags.contains("mtu lock")
        var mtu = res.route.mtu ?? dev.mtu
        if let e = net.ipv4.fnhe[fl.destination], e.expires > now { mtu = e.mtu }
        let report = InputRoute(input: .output, type: type, table: res.table, prefix: res.route.destination,
                                device: dev.name, gateway: viaGateway ? res.route.gateway.flatMap { if case .v4(let g) = $0 { g } else { nil } } : nil,
                                source: src, rulePriority: res.rule?.priority, mtu: mtu)
        outputRoute = report
        return .success(OutputRoute(dev: dev, nextHop: hop, source: src, type: type, mtu: mtu, mtuLocked: locked, report: report))
    }

    /// __ip_rt_update_pmtu: ICMP fragmentation-needed lowers the path MTU to `mtu` for
    /// ip_rt_mtu_expires seconds (a fib_nh_exception). Below min_pmtu the MTU is clamped and locked.
    func __ip_rt_update_pmtu(daddr: IPv4Address, mtu reported: Int, routeMTU: Int, flow: Flow) {
        let f = trace.enter(.__ip_rt_update_pmtu); defer { trace.leave(f) }
        let minPMTU = net.ipv4.sysctl.minPMTU
        let expires = Double(net.ipv4.sysctl.mtuExpires)
        var mtu = reported
        var locked = false
        if mtu < minPMTU { locked = true; mtu = min(routeMTU, minPMTU) }
        let current = net.ipv4.fnhe[daddr].flatMap { $0.expires > now ? $0.mtu : nil } ?? routeMTU
        if current < mtu || (current == mtu && net.ipv4.fnhe[daddr] != nil) { return }
        guard case .success = fib_lookup(flow) else { return }
        let g = trace.enter(.update_or_create_fnhe); trace.leave(g)
        net.ipv4.fnhe[daddr] = PMTUException(mtu: mtu, expires: now + expires, locked: locked)
    }

    /// The output route for a packet this host makes in answer to one it received (ICMP, RST,
    /// SYN-ACK): ip_route_output_key with the reply's addresses.
    func ip_route_output(daddr: IPv4Address, saddr: IPv4Address?, tos: UInt8, proto: UInt8) -> (dev: Interface, nextHop: IPv4Address, source: IPv4Address)? {
        let f = trace.enter(.ip_route_output_key); defer { trace.leave(f) }
        let lo = host.interfaces.first { $0.isLoopback }
        guard case .success(let res) = fib_lookup(Flow(source: saddr ?? .any, destination: daddr, iif: lo, oif: nil, tos: tos & 0x1c, proto: proto)),
              res.route.type == .unicast || res.route.type == .local,
              let devName = res.route.device, let dev = host.interface(named: devName) else { return nil }
        var hop = daddr
        if case .v4(let g)? = res.route.gateway { hop = g }
        var src = saddr ?? dev.primaryIPv4 ?? .any
        if saddr == nil, case .v4(let p)? = res.route.preferredSource { src = p }
        return (dev, hop, src)
    }
}
