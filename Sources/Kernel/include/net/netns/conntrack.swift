// include/net/netns/conntrack.h — struct netns_ct: conntrack's per-namespace state (6.18, 5.4).
import HostModel

/// net->ct: the conntrack hash (confirmed connections by original tuple, and the reply
/// direction's tuples after NAT) and the entries made for the packets in flight, not yet
/// confirmed (the unconfirmed list).
final class NetnsCT {
    /// Conntrack is loaded: some rule needs it (nf_ct_netns_get).
    let enabled: Bool
    var hash: [CTTuple: CTEntry] = [:]
    /// Reply tuples (after NAT) → the connection's original tuple.
    var replies: [CTTuple: CTTuple] = [:]
    var unconfirmed: [CTTuple] = []

    init(ruleset: Ruleset) { enabled = ruleset.usesConntrack }
}
