// net/netfilter/nf_conntrack_core.c, nf_conntrack_proto.c, nf_conntrack_proto_{tcp,udp,icmp}.c —
// modelled: 6.18, as far as the ct state a rule sees. Conntrack's hooks exist only in a
// namespace whose ruleset needs them (a `ct` match or a nat chain: nf_ct_netns_get):
//
//   PRE_ROUTING -400 ipv4_conntrack_defrag, -200 ipv4_conntrack_in → nf_conntrack_in
//   LOCAL_OUT   -400 ipv4_conntrack_defrag, -200 ipv4_conntrack_local → nf_conntrack_in
//   LOCAL_IN, POST_ROUTING  INT_MAX nf_confirm: a new entry enters the table only here, so a
//                           packet dropped on the way never leaves a connection behind
//
// nf_conntrack_in finds the packet's tuple in either direction: the original direction is NEW
// until a reply was seen, then ESTABLISHED; the reply direction is ESTABLISHED. An ICMP error
// is RELATED when the tuple it quotes, inverted, is a known connection (nf_conntrack_icmpv4_error),
// else it gets no entry (INVALID to a rule). A packet with no entry starts one when its
// protocol allows (tcp_new: a SYN, or any segment but RST/FIN/SYN-ACK with tcp_loose picking
// up a connection mid-stream; icmp_new: requests only), else INVALID.
// Defragmentation comes first (ipv4_conntrack_defrag, core.swift). Not modelled: TCP window
// tracking and state timeouts, expectations (helpers), zones.
import HostModel
import Wire

/// A connection's tuple in one direction (for ICMP queries both ports are the identifier).
struct CTTuple: Hashable {
    var source: IPv4Address
    var destination: IPv4Address
    var proto: UInt8
    var sport: UInt16
    var dport: UInt16

    var inverted: CTTuple { CTTuple(source: destination, destination: source, proto: proto, sport: dport, dport: sport) }
}

/// The ct state bits of nft (NF_CT_STATE_BIT and the untracked/invalid ones).
enum CTState: UInt64 {
    case invalid = 1, established = 2, related = 4, new = 8

    var name: String {
        switch self {
        case .invalid: "invalid"
        case .established: "established"
        case .related: "related"
        case .new: "new"
        }
    }
}

/// What nf_conntrack_in attached to a packet (skb->_nfct): the connection, and its state.
struct CTAttachment {
    var original: CTTuple?
    var state: CTState
    /// A new entry, confirmed by nf_confirm at the end of LOCAL_IN or POST_ROUTING.
    var unconfirmed: Bool
    /// The packet travels in the connection's reply direction.
    var reply = false
}

struct CTEntry {
    var seenReply = false
    /// In the table for every packet; until nf_confirm, only for the packets of its own frame.
    var confirmed = false
    /// NAT bindings: where the original direction's destination and source were mapped
    /// (nil: not mapped), and whether each manip type was set up (nf_nat_initialized).
    var dnat: (address: IPv4Address, port: UInt16)? = nil
    var snat: (address: IPv4Address, port: UInt16)? = nil
    var dnatInitialized = false
    var snatInitialized = false
}

extension Ruleset {
    /// Conntrack is loaded for this ruleset (nf_ct_netns_get by nft_ct or a nat chain).
    var usesConntrack: Bool {
        tables.contains { t in
            t.chains.contains { c in
                c.base?.type == "nat" || c.rules.contains { r in
                    r.statements.contains { if case .match(let m) = $0, case .ct = m.selector { true } else { false } }
                }
            }
        }
    }
}

extension Kernel {
    /// The conntrack hook functions on `hook`, before (priority < 0) and after the nft chains.
    func conntrackHooks(_ hook: NFHook) -> (before: [String], after: [String]) {
        guard net.ct.enabled else { return ([], []) }
        switch hook {
        case .preRouting: return (["ipv4_conntrack_defrag", "ipv4_conntrack_in"], [])
        case .localOut: return (["ipv4_conntrack_defrag", "ipv4_conntrack_local"], [])
        case .localIn, .postRouting: return ([], ["nf_confirm"])
        default: return ([], [])
        }
    }

    /// ipv4_conntrack_in / ipv4_conntrack_local → nf_conntrack_in: the packet's state.
    func nf_conntrack_in(_ packet: [UInt8]) -> CTAttachment {
        let f = trace.enter(.nf_conntrack_in); defer { trace.leave(f) }
        guard packet.count >= 20, packet[0] >> 4 == 4 else { return CTAttachment(original: nil, state: .invalid, unconfirmed: false) }
        let ihl = Int(packet[0] & 0x0f) * 4, proto = packet[9]
        let l4 = Array(packet[min(ihl, packet.count)...])
        // ICMP errors: RELATED to the connection they quote, else no entry.
        if proto == 1, let type = l4.first, [3, 4, 5, 11, 12].contains(type) {
            let g = trace.enter(.nf_conntrack_icmpv4_error); defer { trace.leave(g) }
            guard l4.count >= 8 + 20, let quoted = Self.ctTuple(Array(l4[8...])),
                  let hit = ctLookup(quoted.inverted) else {
                return CTAttachment(original: nil, state: .invalid, unconfirmed: false)
            }
            return CTAttachment(original: hit.original, state: .related, unconfirmed: false, reply: hit.reply)
        }
        guard let tuple = Self.ctTuple(packet) else { return CTAttachment(original: nil, state: .invalid, unconfirmed: false) }
        if let hit = ctLookup(tuple), let entry = net.ct.hash[hit.original] {
            if hit.reply {
                net.ct.hash[hit.original]?.seenReply = true
                return CTAttachment(original: hit.original, state: .established, unconfirmed: !entry.confirmed, reply: true)
            }
            return CTAttachment(original: hit.original, state: entry.seenReply ? .established : .new, unconfirmed: !entry.confirmed)
        }
        // init_conntrack: may this packet start a connection?
        switch proto {
        case 6:
            guard l4.count >= 14 else { return CTAttachment(original: nil, state: .invalid, unconfirmed: false) }
            let flags = l4[13] & 0x17   // FIN SYN RST ACK
            let startsOne = flags == 0x02 || (flags == 0x10 && (host.sysctls.int("net.netfilter.nf_conntrack_tcp_loose") ?? 1) != 0)
            guard startsOne else { return CTAttachment(original: nil, state: .invalid, unconfirmed: false) }
        case 1:
            guard let type = l4.first, [8, 13, 15, 17].contains(type) else {
                return CTAttachment(original: nil, state: .invalid, unconfirmed: false)
            }
        default:
            break
        }
        net.ct.hash[tuple] = CTEntry()
        net.ct.replies[tuple.inverted] = tuple
        net.ct.unconfirmed.append(tuple)
        return CTAttachment(original: tuple, state: .new, unconfirmed: true)
    }

    /// The entry goes (never confirmed: its skb was dropped or freed).
    func ct_destroy(_ t: CTTuple) {
        guard let e = net.ct.hash.removeValue(forKey: t) else { return }
        net.ct.replies[replyTuple(t, e)] = nil
    }

    /// The reply direction's tuple: the original, inverted, after its NAT bindings.
    func replyTuple(_ t: CTTuple, _ e: CTEntry) -> CTTuple {
        CTTuple(source: e.dnat?.address ?? t.destination, destination: e.snat?.address ?? t.source, proto: t.proto,
                sport: e.dnat?.port ?? t.dport, dport: e.snat?.port ?? t.sport)
    }

    /// nf_confirm: an unconfirmed entry joins the table.
    func nf_confirm(_ ct: CTAttachment?) {
        let f = trace.enter(.nf_confirm); defer { trace.leave(f) }
        guard let ct, ct.unconfirmed, let t = ct.original else { return }
        net.ct.hash[t]?.confirmed = true
    }

    /// A tuple in either direction: the original tuple, and whether this is the reply direction.
    func ctLookup(_ t: CTTuple) -> (original: CTTuple, reply: Bool)? {
        if net.ct.hash[t] != nil { return (t, false) }
        if let o = net.ct.replies[t] { return (o, true) }
        return nil
    }

    /// The tuple of an IPv4 packet (TCP, UDP: ports; ICMP queries: the identifier; others: none).
    static func ctTuple(_ p: [UInt8]) -> CTTuple? {
        guard p.count >= 20 else { return nil }
        let ihl = Int(p[0] & 0x0f) * 4, proto = p[9]
        let src = IPv4Address(p[12], p[13], p[14], p[15]), dst = IPv4Address(p[16], p[17], p[18], p[19])
        func u16(_ i: Int) -> UInt16 { i + 1 < p.count ? UInt16(p[i]) << 8 | UInt16(p[i + 1]) : 0 }
        switch proto {
        case 6, 17: return CTTuple(source: src, destination: dst, proto: proto, sport: u16(ihl), dport: u16(ihl + 2))
        case 1: return CTTuple(source: src, destination: dst, proto: 1, sport: u16(ihl + 4), dport: u16(ihl + 4))
        default: return CTTuple(source: src, destination: dst, proto: proto, sport: 0, dport: 0)
        }
    }
}
