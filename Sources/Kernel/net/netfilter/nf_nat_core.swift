// net/netfilter/nf_nat_core.c, nf_nat_proto.c, net/ipv4/netfilter/nf_nat_… (nf_nat_ipv4_ops),
// net/netfilter/nft_nat.c, nft_masq.c, nft_redir.c — modelled: 6.18, IPv4, TCP/UDP ports.
// Once a nat chain exists, the nat hook runs on four hooks (dstnat −100 on PRE_ROUTING and
// LOCAL_OUT, srcnat 100 on POST_ROUTING and LOCAL_IN). For the first packet of a connection
// (ct new, original direction) whose manip type is not yet set up, nf_nat_inet_fn runs the nat
// chains until one binds (dnat/snat/masquerade/redirect); none binding leaves a null binding.
// Every packet of the connection is then rewritten by nf_nat_packet: the original direction
// takes the bindings, the reply direction their inverse — a masqueraded connection's replies
// get their destination back at PRE_ROUTING, a DNAT'ed one's their source at POST_ROUTING.
// An ICMP error RELATED to a NATed connection is translated whole (nf_nat_icmp_reply_translation):
// the packet it quotes gets the connection's other-direction addresses back, the outer header
// is made the answer to it. Not modelled: port clashes (the source port is kept), re-routing
// after a LOCAL_OUT dnat, ICMP redirects.
import HostModel
import Wire

extension Kernel {
    /// The nat hook on `hook` and its priority, when the ruleset has a nat chain.
    func natHook(_ hook: NFHook) -> (function: String, priority: Int)? {
        guard net.nf.natRegistered else { return nil }
        switch hook {
        case .preRouting: return ("nf_nat_ipv4_pre_routing", -100)
        case .postRouting: return ("nf_nat_ipv4_out", 100)
        case .localOut: return ("nf_nat_ipv4_local_fn", -100)
        case .localIn: return ("nf_nat_ipv4_local_in", 100)
        default: return nil
        }
    }

    static func isDestinationManip(_ hook: NFHook) -> Bool { hook == .preRouting || hook == .localOut }

    /// nf_nat_inet_fn: the nat chains, for a new connection whose manip type is not set up.
    func nf_nat_inet_fn(_ hook: NFHook, chains: [NFChainRef], attached: CTAttachment?, _ packet: inout NFTPacket) -> NFTChainResult {
        let f = trace.enter(.nf_nat_inet_fn); defer { trace.leave(f) }
        let accept = NFTChainResult(verdict: .accept, passes: [])
        guard let a = attached, let t = a.original, var e = net.ct.hash[t], a.state == .new, !a.reply else { return accept }
        let dst = Self.isDestinationManip(hook)
        guard !(dst ? e.dnatInitialized : e.snatInitialized) else { return accept }
        var passes: [ChainPass] = []
        for ref in chains {
            packet.nat = nil
            let g = trace.enter(.nft_nat_do_chain)
            let r = nft_do_chain(ref, &packet)
            trace.leave(g)
            passes += r.passes
            if r.verdict == .drop { return NFTChainResult(verdict: .drop, passes: passes) }
            if let n = packet.nat, let binding = natBinding(n, tuple: t, packet: packet) {
                net.ct.replies[replyTuple(t, e)] = nil
                if dst { e.dnat = binding } else { e.snat = binding }
                net.ct.replies[replyTuple(t, e)] = t
                break
            }
        }
        if dst { e.dnatInitialized = true } else { e.snatInitialized = true }   // else nf_nat_alloc_null_binding
        net.ct.hash[t] = e
        packet.nat = nil
        return NFTChainResult(verdict: .accept, passes: passes)
    }

    /// Where a nat statement maps the connection: nft_nat_eval, nft_masq_eval, nft_redir_eval.
    func natBinding(_ n: NFNat, tuple t: CTTuple, packet: NFTPacket) -> (address: IPv4Address, port: UInt16)? {
        let ports = t.proto == 6 || t.proto == 17
        switch n.kind {
        case .dnat:
            return (n.address ?? t.destination, ports ? n.port ?? t.dport : t.dport)
        case .snat:
            return (n.address ?? t.source, ports ? n.port ?? t.sport : t.sport)
        case .redirect:
            // nf_nat_redirect_ipv4: the first address of the incoming device (loopback for LOCAL_OUT).
            let a = packet.indev?.primaryIPv4 ?? IPv4Address(127, 0, 0, 1)
            return (a, ports ? n.port ?? t.dport : t.dport)
        case .masquerade:
            // nf_nat_masquerade_ipv4: inet_select_addr on the output device toward the next hop.
            guard let out = packet.outdev else { return nil }
            let hop = IPv4Address(UInt32(packet.be(16, 4) ?? 0))
            let a = out.ipv4Addresses.first { a in
                guard case .v4(let v) = a.address else { return false }
                let m: UInt32 = a.prefixLength == 0 ? 0 : ~UInt32(0) << (32 - a.prefixLength)
                return v.value & m == hop.value & m
            }.flatMap { if case .v4(let v) = $0.address { v } else { nil } } ?? out.primaryIPv4
            return a.map { ($0, t.sport) }
        }
    }

    /// nf_nat_packet: the connection's bindings applied to this packet, for this hook's manip
    /// type and the packet's direction; nil when nothing changes.
    func nf_nat_packet(_ hook: NFHook, attached: CTAttachment?, _ bytes: [UInt8]) -> [UInt8]? {
        guard let a = attached, let t = a.original, let e = net.ct.hash[t] else { return nil }
        let dst = Self.isDestinationManip(hook)
        if a.state == .related, bytes.count >= 20, bytes[9] == 1 {
            return nf_nat_icmp_reply_translation(hook, t, e, reply: a.reply, bytes)
        }
        let target: (address: IPv4Address, port: UInt16)?
        switch (a.reply, dst) {
        case (false, true): target = e.dnat
        case (false, false): target = e.snat
        case (true, true): target = e.snat == nil ? nil : (t.source, t.sport)
        case (true, false): target = e.dnat == nil ? nil : (t.destination, t.dport)
        }
        guard let target else { return nil }
        let f = trace.enter(.nf_nat_manip_pkt); defer { trace.leave(f) }
        return Self.manip(bytes, destination: dst, address: target.address, port: target.port)
    }

    /// nf_nat_icmp_reply_translation: only when the connection has the NAT this hook undoes
    /// (SRC_NAT for a destination manip of a reply, and so on). The quoted packet, which went
    /// the other way, takes that direction's tuple by the opposite manip; the ICMP checksum is
    /// computed again over the message; the outer header becomes the inverse of that tuple.
    func nf_nat_icmp_reply_translation(_ hook: NFHook, _ t: CTTuple, _ e: CTEntry, reply: Bool, _ bytes: [UInt8]) -> [UInt8]? {
        let dst = Self.isDestinationManip(hook)
        // statusbit: IPS_SRC_NAT for a source manip, IPS_DST_NAT for a destination one, the
        // other way round in the reply direction.
        let wantsSourceNAT = dst == reply
        guard wantsSourceNAT ? e.snat != nil : e.dnat != nil else { return nil }
        let ihl = Int(bytes[0] & 0x0f) * 4
        guard bytes.count >= ihl + 8 + 20 else { return nil }
        let f = trace.enter(.nf_nat_icmp_reply_translation); defer { trace.leave(f) }
        // ct->tuplehash[!dir].tuple: the quoted packet's direction.
        let other = reply ? t : replyTuple(t, e)
        var p = bytes
        let inner = Self.manipQuoted(Array(p[(ihl + 8)...]), destination: !dst,
                                     address: dst ? other.source : other.destination, port: dst ? other.sport : other.dport)
        p.replaceSubrange((ihl + 8)..., with: inner)
        let total = min(p.count, Int(p[2]) << 8 | Int(p[3]))
        p[ihl + 2] = 0; p[ihl + 3] = 0
        let c = InternetChecksum.finish(InternetChecksum.sum(Array(p[ihl..<total])))
        p[ihl + 2] = UInt8(c >> 8); p[ihl + 3] = UInt8(c & 0xff)
        // The outer header: nf_ct_invert_tuple(other), the manip of this hook.
        return Self.manip(p, destination: dst, address: dst ? other.source : other.destination, port: 0)
    }

    /// nf_nat_ipv4_manip_pkt on a quoted packet: its address and port rewritten, its IP header
    /// checksum made good, its TCP/UDP checksum mended incrementally (inet_proto_csum_replace4/2,
    /// RFC 1624) when the quote reaches it — the quote may hold a checksum that was never
    /// complete (CHECKSUM_PARTIAL on its way out), which a recomputation would not reproduce.
    static func manipQuoted(_ quoted: [UInt8], destination: Bool, address: IPv4Address, port: UInt16) -> [UInt8] {
        var q = quoted
        let ihl = Int(q[0] & 0x0f) * 4
        guard q.count >= ihl else { return q }
        let at = destination ? 16 : 12
        let oldAddress = UInt32(q[at]) << 24 | UInt32(q[at + 1]) << 16 | UInt32(q[at + 2]) << 8 | UInt32(q[at + 3])
        let v = address.value
        q[at] = UInt8(v >> 24); q[at + 1] = UInt8((v >> 16) & 0xff); q[at + 2] = UInt8((v >> 8) & 0xff); q[at + 3] = UInt8(v & 0xff)
        q[10] = 0; q[11] = 0
        let c = InternetChecksum.finish(InternetChecksum.sum(Array(q[0..<ihl])))
        q[10] = UInt8(c >> 8); q[11] = UInt8(c & 0xff)
        let proto = q[9]
        guard proto == 6 || proto == 17, q.count >= ihl + 8 else { return q }
        let po = ihl + (destination ? 2 : 0)
        let oldPort = UInt16(q[po]) << 8 | UInt16(q[po + 1])
        q[po] = UInt8(port >> 8); q[po + 1] = UInt8(port & 0xff)
        let co = ihl + (proto == 6 ? 16 : 6)
        guard q.count >= co + 2, !(proto == 17 && q[co] == 0 && q[co + 1] == 0) else { return q }
        // HC' = ~(~HC + ~m + m') over the changed 16-bit words.
        var sum = UInt64(~(UInt16(q[co]) << 8 | UInt16(q[co + 1])))
        for (old, new) in [(UInt16(oldAddress >> 16), UInt16(v >> 16)), (UInt16(oldAddress & 0xffff), UInt16(v & 0xffff)), (oldPort, port)] {
            sum += UInt64(~old) + UInt64(new)
        }
        var check = InternetChecksum.finish(sum)
        if proto == 17 && check == 0 { check = 0xffff }
        q[co] = UInt8(check >> 8); q[co + 1] = UInt8(check & 0xff)
        return q
    }

    /// nf_nat_ipv4_manip_pkt: the address (and a TCP/UDP port) rewritten, checksums made good.
    static func manip(_ bytes: [UInt8], destination: Bool, address: IPv4Address, port: UInt16) -> [UInt8] {
        var p = bytes
        guard p.count >= 20 else { return p }
        let at = destination ? 16 : 12
        let v = address.value
        p[at] = UInt8(v >> 24); p[at + 1] = UInt8((v >> 16) & 0xff); p[at + 2] = UInt8((v >> 8) & 0xff); p[at + 3] = UInt8(v & 0xff)
        let ihl = Int(p[0] & 0x0f) * 4
        p[10] = 0; p[11] = 0
        let c = InternetChecksum.finish(InternetChecksum.sum(Array(p[0..<ihl])))
        p[10] = UInt8(c >> 8); p[11] = UInt8(c & 0xff)
        let proto = p[9], firstFragment = (Int(p[6] & 0x1f) << 8 | Int(p[7])) == 0
        let total = min(p.count, Int(p[2]) << 8 | Int(p[3]))
        guard firstFragment, proto == 6 || proto == 17, total >= ihl + (proto == 6 ? 20 : 8) else { return p }
        let po = ihl + (destination ? 2 : 0)
        p[po] = UInt8(port >> 8); p[po + 1] = UInt8(port & 0xff)
        let co = ihl + (proto == 6 ? 16 : 6)
        if proto == 17 && p[co] == 0 && p[co + 1] == 0 { return p }   // no UDP checksum: none to mend
        // A fragmented datagram's checksum covers data this packet does not hold: leave it.
        guard p[6] & 0x20 == 0 else { return p }
        p[co] = 0; p[co + 1] = 0
        let src = IPv4Address(p[12], p[13], p[14], p[15]), dst = IPv4Address(p[16], p[17], p[18], p[19])
        let seg = Array(p[ihl..<total])
        var sum = InternetChecksum.finish(InternetChecksum.sum(seg, initial: InternetChecksum.pseudoHeader(source: src, destination: dst, protocol: proto, length: seg.count)))
        if proto == 17 && sum == 0 { sum = 0xffff }
        p[co] = UInt8(sum >> 8); p[co + 1] = UInt8(sum & 0xff)
        return p
    }

    /// The packet as the nat hook left it (ip_output and ip_local_out go on with these bytes).
    func takeNATRewrite(_ skb: OutputSKB) -> OutputSKB {
        guard let p = natRewritten else { return skb }
        natRewritten = nil
        var s = skb
        s.packet = p
        return s
    }
}
