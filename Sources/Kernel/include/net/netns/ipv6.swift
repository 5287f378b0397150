// include/net/netns/ipv6.h — struct netns_ipv6: IPv6's per-namespace state (6.18, 5.4).
import HostModel
import Wire

/// net->ipv6: the FIB (fib6_local_tbl, fib6_main_tbl, the other tables and the rules), each
/// device's inet6_dev (its cnf and the multicast groups it joined), the sysctls the receive and
/// send paths read, and the reassembly queues (fqdir, net/ipv6/reassembly.c).
final class NetnsIPv6 {
    let fib6: FIB6Index
    /// By interface index (slot 0 and gaps hold nil): __in6_dev_get(dev).
    let devs: [Inet6Dev?]
    /// net->ipv6.sysctl.
    let sysctl: Sysctls
    /// net->ipv6.fqdir.
    let fqdir = FQDir6()
    /// The route exceptions (rt6_exception) packet-too-big messages made, by destination.
    var pmtuExceptions: [IPv6Address: PMTUException] = [:]
    /// The host was inferred from a capture and knows no IPv6 address (inference does not read
    /// IPv6 yet): the model does not guess.
    let inferredWithoutIPv6: Bool

    init(host: Host) {
        fib6 = FIB6Index(host.routes, rules: host.rules, interfaces: host.interfaces)
        var devs = [Inet6Dev?](repeating: nil, count: min(4096, (host.interfaces.map(\.index).max() ?? 0) + 1))
        for i in host.interfaces where i.index >= 0 && i.index < devs.count && devs[i.index] == nil {
            devs[i.index] = Inet6Dev(i, host.sysctls)
        }
        self.devs = devs
        sysctl = Sysctls(host.sysctls)
        inferredWithoutIPv6 = host.origin.hasPrefix("inferred") && !host.interfaces.contains { $0.addresses.contains { !$0.address.isV4 } }
    }

    /// __in6_dev_get: nil for a device IPv6 does not run on.
    func idev(_ dev: Interface) -> Inet6Dev? {
        dev.index >= 0 && dev.index < devs.count ? devs[dev.index] : nil
    }

    /// The net.ipv6 sysctls read on every frame.
    struct Sysctls {
        let icmpv6EchoIgnoreAll: Bool, icmpv6EchoIgnoreMulticast: Bool, icmpv6EchoIgnoreAnycast: Bool
        let ip6fragTime: Double, ip6fragHighThresh: Int
        /// devconf_all->forwarding (ip6_forward reads `all`'s, not the device's).
        let forwarding: Bool

        init(_ s: HostModel.Sysctls) {
            icmpv6EchoIgnoreAll = (s.int("net.ipv6.icmp.echo_ignore_all") ?? 0) != 0
            icmpv6EchoIgnoreMulticast = (s.int("net.ipv6.icmp.echo_ignore_multicast") ?? 0) != 0
            icmpv6EchoIgnoreAnycast = (s.int("net.ipv6.icmp.echo_ignore_anycast") ?? 0) != 0
            ip6fragTime = Double(s.int("net.ipv6.ip6frag_time") ?? 60)
            ip6fragHighThresh = s.int("net.ipv6.ip6frag_high_thresh") ?? 4_194_304
            forwarding = (s.int("net.ipv6.conf.all.forwarding") ?? 0) != 0
        }
    }
}

/// struct inet6_dev: IPv6 on one device — its addresses, the groups it joined (mc_list) and its
/// settings (cnf, the device's net.ipv6.conf.DEV.* as the kernel reads them).
struct Inet6Dev {
    /// The device's IPv6 addresses (ifa_list), link-local included.
    let addresses: [IPv6Address]
    /// mc_list: all-nodes (ff02::1, and ff01::1), the solicited-node group of each address,
    /// all-routers (ff02::2, ff01::2, ff05::2) when forwarding.
    let groups: Set<IPv6Address>
    let disableIPv6: Bool, forwarding: Bool, acceptRA: Int, acceptSourceRoute: Int
    let dropUnicastInL2Multicast: Bool, hopLimit: UInt8, mtu6: Int

    init(_ dev: Interface, _ s: HostModel.Sysctls) {
        func conf(_ name: String) -> Int? {
            s.int("net.ipv6.conf.\(dev.name).\(name)") ?? s.int("net.ipv6.conf.default.\(name)")
        }
        addresses = dev.addresses.compactMap { if case .v6(let a) = $0.address { a } else { nil } }
        disableIPv6 = (conf("disable_ipv6") ?? 0) != 0
        forwarding = (conf("forwarding") ?? s.int("net.ipv6.conf.all.forwarding") ?? 0) != 0
        acceptRA = conf("accept_ra") ?? 1
        acceptSourceRoute = min(conf("accept_source_route") ?? 0, s.int("net.ipv6.conf.all.accept_source_route") ?? 0)
        dropUnicastInL2Multicast = (conf("drop_unicast_in_l2_multicast") ?? 0) != 0
        hopLimit = UInt8(clamping: conf("hop_limit") ?? 64)
        mtu6 = conf("mtu") ?? dev.mtu
        var g: Set<IPv6Address> = [.allNodes, .interfaceLocalAllNodes]
        for a in addresses { g.insert(a.solicitedNode) }
        if forwarding { g.formUnion([.allRouters, .interfaceLocalAllRouters, .siteLocalAllRouters]) }
        groups = g
    }
}

/// struct fqdir for IPv6 (net->ipv6.fqdir): the reassembly queues of net/ipv6/reassembly.c and
/// the memory they hold.
final class FQDir6 {
    var queues: [FragKey6: FragQueue] = [:]
    var mem = 0
}
