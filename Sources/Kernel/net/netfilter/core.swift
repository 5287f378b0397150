// include/linux/netfilter.h, net/netfilter/core.c — modelled: 6.18, 5.4.
// NF_HOOK runs the hook's registered functions and, when they accept, the okfn. A hook with
// nothing registered costs nothing: nf_hook sees an empty hook_head and returns 1, and no
// nf_hook_slow is entered. With the host's ruleset, nf_hook_slow runs each nftables base chain
// on the hook in priority order (nft_do_chain_ipv4 / nft_do_chain_inet → nft_do_chain); the first
// drop ends the walk: kfree_skb_reason(NETFILTER_DROP) in nf_hook_slow, and NF_HOOK never calls
// okfn.
import HostModel
import Wire

enum NFHook: String, CaseIterable {
    case preRouting = "PRE_ROUTING", localIn = "LOCAL_IN", forward = "FORWARD"
    case localOut = "LOCAL_OUT", postRouting = "POST_ROUTING", arpIn = "ARP_IN", arpOut = "ARP_OUT"

    /// The hook's name in nft (`type filter hook input …`).
    var nftName: String {
        switch self {
        case .preRouting: "prerouting"
        case .localIn, .arpIn: "input"
        case .forward: "forward"
        case .localOut, .arpOut: "output"
        case .postRouting: "postrouting"
        }
    }

    var family: NFFamily { self == .arpIn || self == .arpOut ? .arp : .ip }

    /// The position in `allCases` (the hook lists are kept by it).
    var ordinal: Int {
        switch self {
        case .preRouting: 0
        case .localIn: 1
        case .forward: 2
        case .localOut: 3
        case .postRouting: 4
        case .arpIn: 5
        case .arpOut: 6
        }
    }
}

/// The packet a hook sees: its IPv4 bytes (network header on), devices, and the received skb
/// when it is the frame's own (a reject answers it; a mark set on it steers its route).
/// One function registered on a hook.
enum NFHookEntry: Equatable {
    /// ipv4_conntrack_defrag, ipv4_conntrack_in / _local, nf_confirm.
    case conntrack(String)
    /// The nat hook (nf_nat_ipv4_pre_routing, …) with the nat chains it runs.
    case nat(String, [NFChainRef])
    case chain(NFChainRef)
}

struct NFHookState {
    var hook: NFHook
    var indev: Interface? = nil
    var outdev: Interface? = nil
    var skb: SKB? = nil
    /// The bytes of a packet on its way out (an OutputSKB's); else the skb's.
    var outgoing: [UInt8]? = nil
    /// NFPROTO_IPV4 or NFPROTO_IPV6 (ARP's hooks have their own): which hook lists run.
    var family: NFFamily = .ip

    /// Read only when a chain is registered on the hook (no per-frame copy otherwise).
    var packet: [UInt8] { outgoing ?? skb?.network ?? [] }
}

extension Kernel {
    /// NF_HOOK(pf, hook, …, okfn): the hook, then `okfn` when it accepts. NF_HOOK is inlined
    /// into its caller; when the caller ends with `return NF_HOOK(…)` and okfn is a real
    /// function, the call to okfn is a tail call and the caller's frame is gone (`tail`). Where
    /// okfn is itself inlined (ip_rcv_finish into ip_rcv) there is no call at all.
    func NF_HOOK(_ state: NFHookState, tail: Bool = true, name: KFunc = .NF_HOOK, _ okfn: () -> Void) {
        let f = trace.enter(name); defer { trace.leave(f) }
        guard nf_hook(state) else { return }
        if tail { trace.tailCall(from: f) { okfn() } } else { okfn() }
    }

    /// NF_HOOK_COND (ip_output's POST_ROUTING): NF_HOOK unless the packet was rerouted after
    /// an earlier pass (IPSKB_REROUTED; not modelled, so always).
    func NF_HOOK_COND(_ state: NFHookState, tail: Bool = true, _ okfn: () -> Void) {
        NF_HOOK(state, tail: tail, name: .NF_HOOK_COND, okfn)
    }

    /// NF_HOOK_LIST (the list receive path's PRE_ROUTING): nf_hook_slow_list runs the hook on
    /// each skb of the list and keeps those it accepts. True: the skb stays on the list.
    func NF_HOOK_LIST(_ state: NFHookState) -> Bool {
        let f = trace.enter(.NF_HOOK_LIST); defer { trace.leave(f) }
        return nf_hook_passes(state, slow: .nf_hook_slow_list)
    }

    /// nf_hook: the hook alone; true (the kernel's 1) when the caller should go on to okfn
    /// itself (__ip_local_out returns it, and ip_local_out calls dst_output).
    func nf_hook(_ state: NFHookState) -> Bool {
        let f = trace.enter(.nf_hook); defer { trace.leave(f) }
        return nf_hook_passes(state)
    }

    /// The hook_head check nf_hook makes inline, then nf_hook_slow when anything is registered
    /// (`slow`: the function that calls it, nf_hook_slow_list for NF_HOOK_LIST).
    private func nf_hook_passes(_ state: NFHookState, slow: KFunc? = nil) -> Bool {
        let entries = state.family == .ip6 ? net.nf.hooks6[state.hook.ordinal] : net.nf.hooks[state.hook.ordinal]
        guard !entries.isEmpty else {
            record.hooks.append(HookPass(hook: state.hook.rawValue, verdict: "accept", packet: emittingPacket))
            return true
        }
        let g = slow.map { trace.enter($0) }; defer { g.map { trace.leave($0) } }
        return nf_hook_slow(state, entries: entries)
    }

    /// What is registered on a hook, in priority order: conntrack's functions, the nat hook, the
    /// nftables base chains (ties: the later registered first). Worked out once per host
    /// (`net.nf.hooks`), as the kernel builds its hook lists when rules are loaded.
    func hookEntries(_ hook: NFHook, family: NFFamily? = nil) -> [NFHookEntry] {
        var out: [(prio: Int, entry: NFHookEntry)] = []
        // IPv6's hooks run the ip6 and inet chains (IPv6 conntrack and NAT are not modelled).
        if family == .ip6 {
            guard hook.family == .ip else { return [] }
            for r in host.ruleset.baseChains(family: .ip6, hook: hook.nftName) where host.ruleset[r].base?.type != "nat" {
                out.append((host.ruleset[r].base?.priority ?? 0, .chain(r)))
            }
            return Self.inHookOrder(out)
        }
        let ct = conntrackHooks(hook)
        for fn in ct.before { out.append((fn == "ipv4_conntrack_defrag" ? -400 : -200, .conntrack(fn))) }
        let refs = host.ruleset.baseChains(family: hook.family, hook: hook.nftName)
        let natChains = refs.filter { host.ruleset[$0].base?.type == "nat" }
        if let nat = natHook(hook) { out.append((nat.priority, .nat(nat.function, natChains))) }
        for r in refs where host.ruleset[r].base?.type != "nat" { out.append((host.ruleset[r].base?.priority ?? 0, .chain(r))) }
        if ct.after.contains("nf_confirm") { out.append((Int(Int32.max), .conntrack("nf_confirm"))) }
        return Self.inHookOrder(out)
    }

    /// Priority order. Ties: conntrack's and nat's functions first (registered once a rule needs
    /// them, after the chains), then the chains, the one registered later first
    /// (nf_hook_entries_grow puts a new entry before the first of its priority).
    static func inHookOrder(_ entries: [(prio: Int, entry: NFHookEntry)]) -> [NFHookEntry] {
        func key(_ e: (offset: Int, element: (prio: Int, entry: NFHookEntry))) -> (Int, Int, Int) {
            if case .chain(let r) = e.element.entry { return (e.element.prio, 1, -(r.table * 10_000 + r.chain)) }
            return (e.element.prio, 0, e.offset)
        }
        return entries.enumerated().sorted { key($0) < key($1) }.map(\.element.entry)
    }

    /// nf_hook_slow: each registered hook function in priority order until one does not accept.
    func nf_hook_slow(_ state: NFHookState, entries: [NFHookEntry]) -> Bool {
        let f = trace.enter(.nf_hook_slow); defer { trace.leave(f) }
        var pass = HookPass(hook: state.hook.rawValue, verdict: "accept", packet: emittingPacket)
        // The slot is taken first: what a rule sends (a reject's answer) passes its hooks later.
        let slot = record.hooks.count
        record.hooks.append(pass)
        // Later hooks see what PRE_ROUTING / LOCAL_OUT attached to the skb (skb->_nfct).
        let ownPacket = emittingPacket == nil && !transmitting
        var attached: CTAttachment? = ownPacket ? frameCT : outputCT
        var packet = NFTPacket(state: state, mark: state.skb?.mark ?? 0, ctState: attached?.state.rawValue)
        for entry in entries {
            switch entry {
            case .conntrack("nf_confirm"):
                nf_confirm(attached)
            case .conntrack("ipv4_conntrack_defrag"):
                // nf_ct_ipv4_gather_frags: a fragment is queued (NF_STOLEN) until its datagram
                // is whole; the whole datagram goes on through the rest of the hook.
                guard let skb = state.skb, skb.withIPv4({ $0.isFragment }) else {
                    let g = trace.enter(.ipv4_conntrack_defrag); trace.leave(g)
                    continue
                }
                let g = trace.enter(.ipv4_conntrack_defrag)
                let h = trace.enter(.nf_ct_ipv4_gather_frags)
                let stolen = ip_defrag(skb, user: .conntrackIn)
                trace.leave(h); trace.leave(g)
                if stolen {
                    pass.verdict = "stolen"
                    record.hooks[slot] = pass
                    return false
                }
                packet.bytes = skb.network
            case .conntrack(let fn):   // ipv4_conntrack_in, ipv4_conntrack_local
                let g = trace.enter(KFunc(named: fn))
                attached = nf_conntrack_in(packet.bytes)
                packet.ctState = attached?.state.rawValue
                if ownPacket { frameCT = attached } else { outputCT = attached }
                trace.leave(g)
            case .nat(let fn, let chains):
                let g = trace.enter(KFunc(named: fn))
                let result = nf_nat_inet_fn(state.hook, chains: chains, attached: attached, &packet)
                trace.leave(g)
                pass.chains += result.passes
                if result.verdict == .drop { return dropped(state, pass: &pass, slot: slot, attached: attached, result: result, table: nil) }
                if let rewritten = nf_nat_packet(state.hook, attached: attached, packet.bytes) {
                    packet.bytes = rewritten
                    if let skb = state.skb {
                        skb.frame.replaceSubrange(skb.networkOffset..<(skb.networkOffset + rewritten.count), with: rewritten)
                    } else {
                        natRewritten = rewritten
                    }
                }
            case .chain(let ref):
                let table = host.ruleset.tables[ref.table]
                let fn: KFunc = table.family == .inet ? .nft_do_chain_inet : table.family == .arp ? .nft_do_chain_arp
                    : table.family == .ip6 ? .nft_do_chain_ipv6 : .nft_do_chain_ipv4
                let g = trace.enter(fn)
                let result = nft_do_chain(ref, &packet)
                trace.leave(g)
                pass.chains += result.passes
                state.skb?.mark = packet.mark
                if result.verdict == .drop { return dropped(state, pass: &pass, slot: slot, attached: attached, result: result, table: table) }
            }
        }
        if let a = attached { pass.conntrack = a.state.name }
        record.hooks[slot] = pass
        return true
    }

    private func dropped(_ state: NFHookState, pass: inout HookPass, slot: Int, attached: CTAttachment?,
                         result: NFTChainResult, table: NFTable?) -> Bool {
        pass.verdict = "drop"
        if let a = attached { pass.conntrack = a.state.name }
        record.hooks[slot] = pass
        // 5.4 frees the skb here; 6.18 already did, in nft_do_chain (NF_DROP_REASON).
        if !profile.hasDropReasons, let table { nf_drop(state.hook, table: table, result.passes.last) }
        // An entry never confirmed dies with its skb.
        if let t = attached?.original, attached?.unconfirmed == true { ct_destroy(t) }
        return false
    }

    /// The end of a packet netfilter dropped: the frame's verdict, or, for a packet the host
    /// made (an answer dropped on its way out), an skb end on the side.
    func nf_drop(_ hook: NFHook, table: NFTable, _ last: ChainPass?) {
        let rule = last.map { $0.rule.map { "rule `\($0)`" } ?? $0.verdict } ?? "drop"
        let what = "\(hook.rawValue): \(table.family.rawValue) \(table.name) \(last?.chain ?? "?"), \(rule)"
        if emittingPacket != nil {
            sideEnd("kfree_skb", reason: "NETFILTER_DROP")
        } else {
            kfree_skb_reason("NETFILTER_DROP", detail: "dropped by netfilter at " + what)
        }
    }
}
