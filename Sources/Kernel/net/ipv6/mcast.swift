// net/ipv6/mcast.c — the groups a device joined (6.18, 5.4): ipv6_chk_mcast_addr reads
// idev->mc_list (all-nodes, each address's solicited-node group, all-routers when forwarding).
import HostModel
import Wire

extension Kernel {
    func ipv6_chk_mcast_addr(_ dev: Interface, _ group: IPv6Address) -> Bool {
        let f = trace.enter(.ipv6_chk_mcast_addr); defer { trace.leave(f) }
        return net.ipv6.idev(dev)?.groups.contains(group) ?? false
    }

    /// ipv6_is_mld: an MLD query, report or done (ICMPv6 130-132, 143) is taken whatever the group.
    func ipv6_is_mld(_ skb: SKB, nexthdr: UInt8) -> Bool {
        guard nexthdr == 58 else { return false }
        let at = skb.networkOffset + skb.ip6cb.transport
        guard at < skb.frame.count else { return false }
        return [130, 131, 132, 143].contains(skb.frame[at])
    }
}
