import Wire

// The host's nftables ruleset, as `nft -j list ruleset` prints it, in typed form: tables of
// every family, base chains (hook, priority, policy) and regular ones, rules as statement lists,
// named sets. Values are resolved once, at load, to numbers and ranges in the selector's own
// units (an address as its 32 bits, `echo-request` as 8, `established` as its ct state bit), so
// evaluating a rule per packet compares integers.

public enum NFFamily: String, Sendable, CaseIterable {
    case ip, ip6, inet, arp, bridge, netdev
}

public struct Ruleset: Equatable, Sendable {
    public var tables: [NFTable] = []
    public init(tables: [NFTable] = []) {
        self.tables = tables
    }

    public var isEmpty: Bool { tables.isEmpty }

    /// Expressions and statements the model does not evaluate, by name, in order of first
    /// appearance in the rules (a rule holding one never matches).
    public var unsupported: [String] {
        var seen: [String] = []
        for t in tables { for c in t.chains { for r in c.rules { for case .unsupported(let what) in r.statements where !seen.contains(what) {
            seen.append(what)
        } } } }
        return seen
    }

    /// Every base chain on `hook` of a table whose family sees IPv4 packets there, in the order
    /// nf_hook_slow runs them: by priority; at equal priority, in the order they were registered.
    public func baseChains(family: NFFamily, hook: String) -> [NFChainRef] {
        var out: [(prio: Int, order: Int, ref: NFChainRef)] = []
        for (t, table) in tables.enumerated() where table.family == family || (family == .ip || family == .ip6) && table.family == .inet {
            for (c, chain) in table.chains.enumerated() {
                guard let base = chain.base, base.hook == hook else { continue }
                out.append((base.priority, t * 10_000 + c, NFChainRef(table: t, chain: c)))
            }
        }
        return out.sorted { ($0.prio, $0.order) < ($1.prio, $1.order) }.map(\.ref)
    }

    public subscript(ref: NFChainRef) -> NFChain { tables[ref.table].chains[ref.chain] }

    /// Named set references become lookups in the set's index, and anonymous sets of more than
    /// a few elements are indexed too: evaluation never walks a set.
    mutating func indexSets() {
        for t in tables.indices {
            let indexes = tables[t].sets.mapValues { NFSetIndex($0.elements) }
            for c in tables[t].chains.indices {
                for r in tables[t].chains[c].rules.indices {
                    tables[t].chains[c].rules[r].statements = tables[t].chains[c].rules[r].statements.map { s in
                        guard case .match(var m) = s else { return s }
                        switch m.value {
                        case .named(let n): m.value = .lookup(indexes[n] ?? NFSetIndex([]))
                        case .set(let vs) where vs.count > 8: m.value = .lookup(NFSetIndex(vs))
                        default: return s
                        }
                        return .match(m)
                    }
                }
            }
        }
    }
}

/// A chain by position: table index, chain index.
public struct NFChainRef: Hashable, Sendable {
    public var table: Int
    public var chain: Int
}

public struct NFTable: Equatable, Sendable {
    public var family: NFFamily
    public var name: String
    public var chains: [NFChain] = []
    public var sets: [String: NFSet] = [:]

    public func chainIndex(named name: String) -> Int? { chains.firstIndex { $0.name == name } }
}

public struct NFBaseChain: Equatable, Sendable {
    /// `filter`, `nat` or `route`.
    public var type: String
    /// The nft hook name: prerouting, input, forward, output, postrouting (ingress, egress).
    public var hook: String
    public var priority: Int
    /// The policy: accept or drop.
    public var policyDrops: Bool
}

public struct NFChain: Equatable, Sendable {
    public var name: String
    public var base: NFBaseChain?
    public var rules: [NFRule] = []
}

public struct NFRule: Equatable, Sendable {
    public var handle: Int
    public var statements: [NFStatement]
    /// The rule in nft's own syntax (as `nft list ruleset` and `nft monitor trace` print it).
    public var text: String
}

public struct NFSet: Equatable, Sendable {
    public var name: String
    public var elements: [NFValue]
}

/// A set's elements for lookup (nft_set_hash / nft_set_rbtree do the same job in the kernel):
/// single values hashed, intervals sorted for a binary search. A lookup costs O(log n), not a
/// walk of the elements.
public struct NFSetIndex: Equatable, Sendable {
    var singles: Set<UInt64> = []
    /// Sorted by start; overlapping intervals merged.
    var starts: [UInt64] = []
    var ends: [UInt64] = []

    public init(_ elements: [NFValue]) {
        var ranges: [(UInt64, UInt64)] = []
        func add(_ v: NFValue) {
            switch v {
            case .number(let n): singles.insert(n)
            case .range(let lo, let hi): ranges.append((lo, hi))
            case .set(let vs): vs.forEach(add)
            case .string, .named, .lookup: break
            }
        }
        elements.forEach(add)
        ranges.sort { $0.0 < $1.0 }
        for (lo, hi) in ranges {
            if let last = ends.last, lo <= last &+ 1, last != .max { ends[ends.count - 1] = max(last, hi) } else { starts.append(lo); ends.append(hi) }
        }
    }

    public func contains(_ x: UInt64) -> Bool {
        if singles.contains(x) { return true }
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && x <= ends[lo - 1]
    }

    public var count: Int { singles.count + starts.count }
}

public enum NFStatement: Equatable, Sendable {
    case match(NFMatch)
    case verdict(NFVerdictCode)
    case counter
    case log
    /// `limit rate …`: treated as matching (the model has no rate clock).
    case limit
    case reject(NFReject)
    case setMark(UInt32)
    case nat(NFNat)
    case notrack
    /// An expression or statement the model does not evaluate: the rule never matches.
    case unsupported(String)
}

public enum NFVerdictCode: Equatable, Sendable {
    case accept, drop, `continue`, `return`, queue
    case jump(String), goto(String)

    public var text: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .queue: "queue"
        case .jump(let c): "jump \(c)"
        case .goto(let c): "goto \(c)"
        }
    }
}

public enum NFReject: Equatable, Sendable {
    /// ICMP destination unreachable with this code (icmp and icmpx reject, IPv4 codes).
    case icmp(code: UInt8)
    case tcpReset
}

/// A nat statement: the address (and port) a new connection is mapped to.
public struct NFNat: Equatable, Sendable {
    public enum Kind: String, Sendable { case dnat, snat, masquerade, redirect }
    public var kind: Kind
    public var address: IPv4Address?
    public var port: UInt16?
}

public struct NFMatch: Equatable, Sendable {
    public enum Op: String, Sendable { case eq = "==", ne = "!=", lt = "<", gt = ">", le = "<=", ge = ">=", flags = "in" }
    public var op: Op
    /// `selector & mask` before comparing (`tcp flags & (syn | ack) == syn`).
    public var mask: UInt64?
    public var value: NFValue
    /// The selector as a small code, resolved once: evaluation switches on it, never on names,
    /// and copying a match copies no strings.
    public private(set) var field: NFField
    /// A selector the model does not load, kept for its name.
    private var other: NFSelector?

    public init(op: Op, selector: NFSelector, mask: UInt64?, value: NFValue) {
        self.op = op
        self.mask = mask
        self.value = value
        field = NFField(selector)
        other = field == .unknown ? selector : nil
    }

    public var selector: NFSelector { other ?? field.selector }
}

/// Every selector the model reads, as the expression that loads it (nft_payload at a header
/// offset, nft_meta, nft_ct).
public enum NFField: UInt8, Sendable, CaseIterable {
    case ipSaddr, ipDaddr, ipProtocol, ipTTL, ipLength, ipID, ipDSCP, ipVersion, ipHdrLength
    case tcpSport, tcpDport, tcpSequence, tcpAckSeq, tcpFlags, tcpWindow
    case udpSport, udpDport, udpLength, thSport, thDport
    case icmpType, icmpCode, icmpID, icmpSequence
    case l4proto, nfproto, etherProtocol, mark, length, pktType, iifname, oifname, ctState
    case unknown

    /// The selector, in nft's own names.
    public var selector: NFSelector {
        switch self {
        case .ipSaddr: .payload("ip", "saddr")
        case .ipDaddr: .payload("ip", "daddr")
        case .ipProtocol: .payload("ip", "protocol")
        case .ipTTL: .payload("ip", "ttl")
        case .ipLength: .payload("ip", "length")
        case .ipID: .payload("ip", "id")
        case .ipDSCP: .payload("ip", "dscp")
        case .ipVersion: .payload("ip", "version")
        case .ipHdrLength: .payload("ip", "hdrlength")
        case .tcpSport: .payload("tcp", "sport")
        case .tcpDport: .payload("tcp", "dport")
        case .tcpSequence: .payload("tcp", "sequence")
        case .tcpAckSeq: .payload("tcp", "ackseq")
        case .tcpFlags: .payload("tcp", "flags")
        case .tcpWindow: .payload("tcp", "window")
        case .udpSport: .payload("udp", "sport")
        case .udpDport: .payload("udp", "dport")
        case .udpLength: .payload("udp", "length")
        case .thSport: .payload("th", "sport")
        case .thDport: .payload("th", "dport")
        case .icmpType: .payload("icmp", "type")
        case .icmpCode: .payload("icmp", "code")
        case .icmpID: .payload("icmp", "id")
        case .icmpSequence: .payload("icmp", "sequence")
        case .l4proto: .meta("l4proto")
        case .nfproto: .meta("nfproto")
        case .etherProtocol: .meta("protocol")
        case .mark: .meta("mark")
        case .length: .meta("length")
        case .pktType: .meta("pkttype")
        case .iifname: .meta("iifname")
        case .oifname: .meta("oifname")
        case .ctState: .ct("state")
        case .unknown: .meta("?")
        }
    }

    /// The field a selector loads; `iif`/`oif` are compared by name like `iifname`/`oifname`.
    public init(_ s: NFSelector) {
        switch s {
        case .meta("iif"): self = .iifname
        case .meta("oif"): self = .oifname
        default: self = Self.allCases.first { $0 != .unknown && $0.selector == s } ?? .unknown
        }
    }
}

/// What a match reads from the packet.
public enum NFSelector: Equatable, Sendable {
    /// A header field: (protocol, field) as nft names them, e.g. ("ip", "saddr"), ("tcp", "dport").
    case payload(String, String)
    case meta(String)
    case ct(String)

    public var text: String {
        switch self {
        case .payload(let p, let f): "\(p) \(f)"
        case .meta(let k): ["iifname", "oifname", "iif", "oif"].contains(k) ? k : "meta \(k)"
        case .ct(let k): "ct \(k)"
        }
    }
}

/// A value resolved to the selector's units.
public enum NFValue: Equatable, Sendable {
    case number(UInt64)
    case string(String)
    /// Inclusive: a prefix, a range.
    case range(UInt64, UInt64)
    case set([NFValue])
    /// `@name`: a named set of the same table (resolved to `.lookup` once the ruleset is read).
    case named(String)
    /// A set indexed for lookup: a named set, or a large anonymous one.
    case lookup(NFSetIndex)

    public func contains(_ x: UInt64) -> Bool {
        switch self {
        case .number(let n): n == x
        case .range(let lo, let hi): lo <= x && x <= hi
        case .set(let vs): vs.contains { $0.contains(x) }
        case .lookup(let index): index.contains(x)
        case .string, .named: false
        }
    }
}
