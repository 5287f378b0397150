// include/net/netns/netfilter.h, include/net/netns/nftables.h — struct netns_nf and
// struct nftables_pernet (6.18, 5.4).
import HostModel

/// net->nf: what is registered on each hook (hooks_ipv4, hooks_arp: the hook_head lists, by
/// hook), built from the ruleset when the kernel is made.
final class NetnsNF {
    /// A nat chain exists: the nat hooks are registered (nf_nat_ipv4_ops).
    let natRegistered: Bool
    /// Each hook's registered functions, by `NFHook.ordinal`: hooks_ipv4 (and hooks_arp).
    var hooks: [[NFHookEntry]] = []
    /// hooks_ipv6.
    var hooks6: [[NFHookEntry]] = []

    init(ruleset: Ruleset) {
        natRegistered = ruleset.tables.contains { ($0.family == .ip || $0.family == .inet) && $0.chains.contains { $0.base?.type == "nat" } }
    }
}

/// net->nft: the tables' chains, each chain's rules indexed as runs (by table, then chain).
final class NetnsNFTables {
    let ruleRuns: [[NFTRuleRuns]]

    init(ruleset: Ruleset) { ruleRuns = ruleset.tables.map { $0.chains.map { NFTRuleRuns($0.rules) } } }
}
