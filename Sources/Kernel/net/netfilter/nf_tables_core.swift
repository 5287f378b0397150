// net/netfilter/nf_tables_core.c (nft_do_chain), with the expressions it runs: nft_payload.c,
// nft_meta.c, nft_ct.c, nft_cmp.c, nft_lookup.c, nft_bitwise.c, nft_immediate.c (verdicts),
// nft_reject_inet.c / nft_reject_ipv4.c — modelled: 6.18.
//
//   nft_do_chain: rule after rule; an expression that does not match breaks to the next rule
//   (NFT_BREAK); a verdict ends the rule: accept/drop end the base chain, jump pushes the
//   return point (at most NFT_JUMP_STACK_SIZE deep), goto replaces the chain, return (or the
//   end of a regular chain) pops; the end of the base chain is its policy.
//
// A rule is shown in nft's syntax; its verdicts are what `nft monitor trace` reports.
import HostModel
import Wire

/// What the expressions read: nft_pktinfo and the skb fields behind it.
struct NFTPacket {
    var hook: NFHook
    var bytes: [UInt8]
    var indev: Interface?
    var outdev: Interface?
    var mark: UInt32
    var pktType: PacketType?
    /// The conntrack state bit (NF_CT_STATE_BIT), when conntrack saw the packet.
    var ctState: UInt64?
    /// The received skb, when the packet is the frame's own (what a reject answers).
    var skb: SKB?
    /// A nat statement's binding, for the nat hook to set up.
    var nat: NFNat?

    init(state: NFHookState, mark: UInt32, ctState: UInt64? = nil) {
        hook = state.hook
        bytes = state.packet
        indev = state.indev
        outdev = state.outdev
        self.mark = mark
        pktType = state.skb?.pktType
        self.ctState = ctState
        skb = state.skb
    }

    var isIPv4: Bool { bytes.count >= 20 && bytes[0] >> 4 == 4 }
    var isIPv6: Bool { bytes.count >= 40 && bytes[0] >> 4 == 6 }
    var headerLength: Int { Int(bytes[0] & 0x0f) * 4 }
    var proto: UInt8? { isIPv4 ? bytes[9] : isIPv6 ? ipv6Transport?.proto : nil }
    /// nft_set_pktinfo_ipv4: the transport header is there for the first fragment only.
    var transportOffset: Int? {
        if isIPv6 { return ipv6Transport?.offset }
        guard isIPv4, (Int(bytes[6] & 0x1f) << 8 | Int(bytes[7])) == 0 else { return nil }
        return headerLength
    }
    /// nft_set_pktinfo_ipv6 (ipv6_find_hdr): the upper-layer header after the extension headers;
    /// nil for a non-first fragment.
    var ipv6Transport: (proto: UInt8, offset: Int)? {
        var next = bytes[6], at = 40
        while [0, 43, 60, 44, 51].contains(next), at + 8 <= bytes.count {
            if next == 44 {
                if (Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])) & 0xfff8 != 0 { return nil }
                next = bytes[at]; at += 8
            } else {
                let len = next == 51 ? (Int(bytes[at + 1]) + 2) * 4 : (Int(bytes[at + 1]) + 1) * 8
                next = bytes[at]; at += len
            }
        }
        return (next, at)
    }

    /// `n` bytes at `offset` into the transport header of a packet of protocol `p`.
    func transport(_ p: UInt8, _ offset: Int, _ n: Int) -> UInt64? {
        guard proto == p, let th = transportOffset else { return nil }
        return be(th + offset, n)
    }

    func be(_ at: Int, _ n: Int) -> UInt64? {
        guard at >= 0, at + n <= bytes.count else { return nil }
        var v: UInt64 = 0
        for i in 0..<n { v = v << 8 | UInt64(bytes[at + i]) }
        return v
    }
}

/// A chain's runs of rules of the shape `FIELD == CONSTANT [counter] VERDICT` on one field
/// (the long port lists of real rulesets), indexed by constant once per host. nft_do_chain walks
/// them rule by rule; the model asks the index for the first rule whose constant the packet's
/// field equals, which is the rule the walk would stop at (every rule before it breaks on its
/// compare, and counters count nothing the model reports). The verdict and the rule reported
/// are the same; only the walk's cost no longer grows with the list.
struct NFTRuleRuns {
    struct Run {
        let start: Int, end: Int
        let field: NFField
        /// Constant → index of the first rule of the run comparing with it.
        let first: [UInt64: Int]
        let verdicts: [NFVerdictCode]
    }
    /// The runs; shorter stretches are walked rule by rule.
    private var runs: [Run] = []
    /// For each rule, the run starting there (an index into `runs`), or -1; empty without runs.
    private var runAt: [Int] = []
    static let shortest = 8

    init(_ rules: [NFRule]) {
        func shape(_ r: NFRule) -> (NFField, UInt64, NFVerdictCode)? {
            var match: NFMatch? = nil, verdict: NFVerdictCode? = nil
            for s in r.statements {
                switch s {
                case .counter: continue
                case .match(let m) where match == nil && verdict == nil: match = m
                case .verdict(let v) where verdict == nil: verdict = v
                default: return nil
                }
            }
            guard let m = match, let verdict, m.op == .eq, m.mask == nil, case .number(let n) = m.value,
                  m.field != .iifname, m.field != .oifname, m.field != .unknown else { return nil }
            return (m.field, n, verdict)
        }
        let shapes = rules.map(shape)
        var i = 0
        while i < rules.count {
            guard let (field, _, _) = shapes[i] else { i += 1; continue }
            var j = i
            while j < rules.count, let s = shapes[j], s.0 == field { j += 1 }
            if j - i >= Self.shortest {
                var first: [UInt64: Int] = [:]
                for k in i..<j where first[shapes[k]!.1] == nil { first[shapes[k]!.1] = k }
                if runAt.isEmpty { runAt = Array(repeating: -1, count: rules.count) }
                runAt[i] = runs.count
                runs.append(Run(start: i, end: j, field: field, first: first, verdicts: (i..<j).map { shapes[$0]!.2 }))
            }
            i = j
        }
    }

    func starting(at index: Int) -> Run? {
        guard !runAt.isEmpty, runAt[index] >= 0 else { return nil }
        return runs[runAt[index]]
    }
}

/// One chain walk's result.
struct NFTChainResult {
    var verdict: NFVerdictCode
    var passes: [ChainPass]
}

extension Kernel {
    /// NFT_JUMP_STACK_SIZE.
    static let nftJumpStackSize = 16

    func nft_do_chain(_ base: NFChainRef, _ pkt: inout NFTPacket) -> NFTChainResult {
        let f = trace.enter(.nft_do_chain); defer { trace.leave(f) }
        let result = nft_walk(base, &pkt)
        // 6.18: NF_DROP_REASON frees the skb in nft_do_chain itself (NETFILTER_DROP).
        if result.verdict == .drop && profile.hasDropReasons {
            nf_drop(pkt.hook, table: host.ruleset.tables[base.table], result.passes.last)
        }
        return result
    }

    /// The rule walk of nft_do_chain, with its jump stack.
    func nft_walk(_ base: NFChainRef, _ pkt: inout NFTPacket) -> NFTChainResult {
        let table = host.ruleset.tables[base.table]
        let tableName = "\(table.family.rawValue) \(table.name)"
        var passes: [ChainPass] = []
        var stack: [(chain: Int, rule: Int)] = []
        var chain = base.chain, index = 0
        // The base chain's policy decides once nothing is left to return to.
        func policy() -> NFTChainResult {
            let drops = table.chains[base.chain].base?.policyDrops ?? false
            passes.append(ChainPass(table: tableName, chain: table.chains[base.chain].name, rule: nil, handle: nil,
                                    verdict: drops ? "policy drop" : "policy accept"))
            return NFTChainResult(verdict: drops ? .drop : .accept, passes: passes)
        }
        let tableRuns = net.nft.ruleRuns[base.table]
        while true {
            let rules = table.chains[chain].rules
            let runs = tableRuns[chain]
            var ended: (NFVerdictCode, NFRule)? = nil
            while index < rules.count, ended == nil {
                if let run = runs.starting(at: index) {
                    // The rules of the run would each load the same field and compare it with
                    // their constant: the first whose constant it equals is the one that ends.
                    if let x = nft_load(run.field, &pkt), let i = run.first[x] {
                        index = i + 1
                        ended = (run.verdicts[i - run.start], rules[i])
                    } else {
                        index = run.end
                    }
                    continue
                }
                index += 1
                if let v = nft_rule_eval(rules[index - 1].statements, family: table.family, &pkt) { ended = (v, rules[index - 1]) }
            }
            let name = table.chains[chain].name
            guard let (verdict, rule) = ended else {
                // The chain ran out: a regular chain returns to its caller, a base chain's
                // policy decides.
                if let back = stack.popLast() {
                    passes.append(ChainPass(table: tableName, chain: name, rule: nil, handle: nil, verdict: "continue"))
                    (chain, index) = back
                    continue
                }
                return policy()
            }
            passes.append(ChainPass(table: tableName, chain: name, rule: rule.text, handle: rule.handle, verdict: verdict.text))
            switch verdict {
            case .accept, .drop, .queue:
                return NFTChainResult(verdict: verdict == .drop ? .drop : .accept, passes: passes)
            case .continue:
                continue
            case .jump(let target), .goto(let target):
                guard let t = table.chainIndex(named: target), stack.count < Self.nftJumpStackSize else {
                    return NFTChainResult(verdict: .drop, passes: passes)   // the kernel refuses such a ruleset; drop safely
                }
                if case .jump = verdict { stack.append((chain, index)) }
                (chain, index) = (t, 0)
            case .return:
                guard let back = stack.popLast() else { return policy() }
                (chain, index) = back
            }
        }
    }

    /// One rule: its statements in order; nil when a match breaks or no verdict is reached.
    func nft_rule_eval(_ statements: [NFStatement], family: NFFamily, _ pkt: inout NFTPacket) -> NFVerdictCode? {
        for s in statements {
            switch s {
            case .match(let m):
                guard nft_cmp(m, &pkt) else { return nil }
            case .verdict(let v):
                return v
            case .reject(let r):
                if pkt.isIPv6 { nft_reject_eval6(r, pkt, family: family) } else { nft_reject_eval(r, pkt, family: family) }
                return .drop
            case .setMark(let m):
                pkt.mark = m
            case .nat(let n):
                pkt.nat = n
                return .accept
            case .counter, .log, .limit, .notrack:
                continue
            case .unsupported:
                return nil
            }
        }
        return nil
    }

    /// nft_cmp / nft_lookup / nft_bitwise over what nft_payload, nft_meta or nft_ct loaded.
    func nft_cmp(_ m: NFMatch, _ pkt: inout NFTPacket) -> Bool {
        if case .string(let want) = m.value {
            let have: String?
            switch m.field {
            case .iifname: have = pkt.indev?.name
            case .oifname: have = pkt.outdev?.name
            default: have = nil
            }
            guard let have else { return false }
            return (m.op == .ne) != (have == want || want.hasSuffix("*") && have.hasPrefix(want.dropLast()))
        }
        guard var x = nft_load(m.field, &pkt) else { return false }
        if let mask = m.mask { x &= mask }
        switch (m.op, m.value) {
        case (.flags, .number(let bits)): return x & bits != 0
        case (.eq, .number(let n)): return x == n
        case (.ne, .number(let n)): return x != n
        case (.eq, let v), (.flags, let v): return v.contains(x)
        case (.ne, let v): return !v.contains(x)
        case (.lt, .number(let n)): return x < n
        case (.gt, .number(let n)): return x > n
        case (.le, .number(let n)): return x <= n
        case (.ge, .number(let n)): return x >= n
        default: return false
        }
    }

    /// A numeric field; nil when the packet has no such field (nft_payload's NFT_BREAK). A
    /// transport field carries its protocol as an implicit dependency (meta l4proto).
    func nft_load(_ field: NFField, _ pkt: inout NFTPacket) -> UInt64? {
        if pkt.isIPv6 {
            switch field {
            case .ipSaddr, .ipDaddr, .ipProtocol, .ipTTL, .ipLength, .ipID, .ipDSCP, .ipVersion, .ipHdrLength:
                return nil   // an ip expression carries `meta nfproto ipv4`
            default: break
            }
        }
        switch field {
        case .ipSaddr: return pkt.be(12, 4)
        case .ipDaddr: return pkt.be(16, 4)
        case .ipProtocol: return pkt.be(9, 1)
        case .ipTTL: return pkt.be(8, 1)
        case .ipLength: return pkt.be(2, 2)
        case .ipID: return pkt.be(4, 2)
        case .ipDSCP: return pkt.be(1, 1).map { $0 >> 2 }
        case .ipVersion: return pkt.be(0, 1).map { $0 >> 4 }
        case .ipHdrLength: return pkt.be(0, 1).map { $0 & 0x0f }
        case .tcpSport: return pkt.transport(6, 0, 2)
        case .tcpDport: return pkt.transport(6, 2, 2)
        case .tcpSequence: return pkt.transport(6, 4, 4)
        case .tcpAckSeq: return pkt.transport(6, 8, 4)
        case .tcpFlags: return pkt.transport(6, 13, 1)
        case .tcpWindow: return pkt.transport(6, 14, 2)
        case .udpSport: return pkt.transport(17, 0, 2)
        case .udpDport: return pkt.transport(17, 2, 2)
        case .udpLength: return pkt.transport(17, 4, 2)
        case .thSport, .thDport:
            guard let p = pkt.proto, p == 6 || p == 17 || p == 33 || p == 132 else { return nil }
            return pkt.transport(p, field == .thSport ? 0 : 2, 2)
        case .icmpType: return pkt.transport(1, 0, 1)
        case .icmpCode: return pkt.transport(1, 1, 1)
        case .icmpID: return pkt.transport(1, 4, 2)
        case .icmpSequence: return pkt.transport(1, 6, 2)
        case .l4proto: return pkt.proto.map(UInt64.init)
        case .nfproto: return pkt.hook.family == .arp ? 3 : pkt.isIPv6 ? 10 : 2
        case .etherProtocol: return pkt.hook.family == .arp ? 0x0806 : pkt.isIPv6 ? 0x86dd : 0x0800
        case .mark: return UInt64(pkt.mark)
        case .length: return UInt64(pkt.bytes.count)
        case .pktType:
            switch pkt.pktType ?? .host {
            case .host, .outgoing: return 0
            case .broadcast: return 1
            case .multicast: return 2
            default: return 3
            }
        case .ctState:
            // IPv6 conntrack is not modelled: the frame's verdict is not given (finishFrame).
            if pkt.isIPv6 { unmodelledIPv6Conntrack = true }
            return pkt.ctState
        case .iifname, .oifname, .unknown: return nil
        }
    }
}
