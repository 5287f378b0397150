// include/net/net_namespace.h — struct net: one network namespace, the host the model runs.
// Each subsystem keeps its state in its own part, as the kernel hangs it off struct net:
//
//   struct net
//     ├─ ipv4  (struct netns_ipv4: FIB tables and rules, devconf, sysctls, fqdir, PMTU exceptions)
//     ├─ ipv6  (struct netns_ipv6: fib6 tables and rules, each device's inet6_dev, sysctls, fqdir)
//     ├─ ct    (struct netns_ct: the conntrack hash, unconfirmed list)
//     ├─ nf    (struct netns_nf: the hooks registered per family)
//     └─ nft   (struct nftables_pernet: the tables' rules)
//
// The tables the kernel keeps once for all namespaces (arp_tbl, tcp_hashinfo, udp_table,
// ping_table, raw_v4_hashinfo, the inet_peer base) live with their subsystem's code, on Kernel.
import HostModel

/// struct net: the host's namespace, its state by subsystem.
final class Net {
    /// net->ipv4.
    let ipv4: NetnsIPv4
    /// net->ipv6.
    let ipv6: NetnsIPv6
    /// net->ct.
    let ct: NetnsCT
    /// net->nf.
    let nf: NetnsNF
    /// net->nft.
    let nft: NetnsNFTables

    init(host: Host) {
        ipv4 = NetnsIPv4(host: host)
        ipv6 = NetnsIPv6(host: host)
        ct = NetnsCT(ruleset: host.ruleset)
        nf = NetnsNF(ruleset: host.ruleset)
        nft = NetnsNFTables(ruleset: host.ruleset)
    }
}
