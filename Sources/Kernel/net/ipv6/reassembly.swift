// net/ipv6/reassembly.c — IPv6 reassembly on local delivery (6.18, 5.4; the queue rules of
// inet_fragment.c, shared with IPv4): ipv6_frag_rcv → fq_find → ip6_frag_queue
// (inet_frag_queue_insert: RFC 5722 — an overlap kills the queue, a duplicate is dropped)
// → ip6_frag_reasm when the last hole closes; the datagram is resubmitted with the fragment
// header's next header. An atomic fragment (offset 0, no M) is taken as it is; a non-final
// fragment whose length is not a multiple of 8, or a first fragment without its upper-layer
// header, gets a parameter problem. The reassembly timer (ip6_frag_expire) is not modelled.
import HostModel
import Wire

/// fq_find's key: identification, addresses, and the interface for a link-local destination.
struct FragKey6: Hashable {
    let source: IPv6Address, destination: IPv6Address, ident: UInt32, iif: Int
}

extension Kernel {
    /// The next header to resubmit with when the skb goes on (whole, or an atomic fragment);
    /// nil when it was taken (queued or dropped).
    func ipv6_frag_rcv(_ skb: SKB) -> UInt8? {
        let f = trace.enter(.ipv6_frag_rcv); defer { trace.leave(f) }
        let at = skb.ip6cb.transport
        let base = skb.networkOffset
        let (src, dst, payloadLength) = skb.withIPv6 { ($0.source, $0.destination, Int($0.payloadLength)) }
        counters.inc(.Ip6ReasmReqds)
        func failHeader(_ why: String) -> UInt8? {
            counters.inc(.Ip6InHdrErrors)
            icmpv6_param_prob(skb, code: 0, pointer: at)
            kfree_skb_reason("NOT_SPECIFIED", detail: why)
            return nil
        }
        guard payloadLength != 0, skb.length >= at + 8 else { return failHeader("a fragment header cut short") }
        let next = skb.frame[base + at]
        let fragOff = Int(skb.frame[base + at + 2]) << 8 | Int(skb.frame[base + at + 3])
        let ident = UInt32(skb.frame[base + at + 4]) << 24 | UInt32(skb.frame[base + at + 5]) << 16
            | UInt32(skb.frame[base + at + 6]) << 8 | UInt32(skb.frame[base + at + 7])
        let offset = fragOff & 0xfff8, more = fragOff & 1 != 0
        if offset == 0 && !more {
            counters.inc(.Ip6ReasmOKs)
            skb.ip6cb.nhoff = at
            skb.ip6cb.transport = at + 8
            return next
        }
        // ipv6frag_thdr_truncated: a first fragment must hold the upper-layer header.
        if offset == 0 {
            let need = next == 6 ? 20 : next == 17 ? 8 : next == 58 ? 4 : 1
            if at + 8 + need > skb.length {
                counters.inc(.Ip6InHdrErrors)
                icmpv6_param_prob(skb, code: 3, pointer: 0)
                kfree_skb_reason("NOT_SPECIFIED", detail: "a first fragment without its whole upper-layer header (RFC 8200 4.5): parameter problem, code 3")
                return nil
            }
        }
        let key = FragKey6(source: src, destination: dst, ident: ident,
                           iif: dst.isLinkLocal || dst.isMulticast ? skb.dev.index : 0)
        let name = "\(src) > \(dst) id 0x\(String(ident, radix: 16))"
        let payload = skb.networkBytes(from: at + 8)
        func report(_ outcome: String, _ detail: String) {
            record.fragment = FragmentReport(datagram: name, offset: offset, length: payload.count, more: more, outcome: outcome, detail: detail)
        }
        let g = trace.enter(.fq_find)
        var q: FragQueue
        if let existing = net.ipv6.fqdir.queues[key] {
            q = existing
        } else {
            let high = net.ipv6.sysctl.ip6fragHighThresh
            if high == 0 || net.ipv6.fqdir.mem > high {
                trace.leave(g)
                counters.inc(.Ip6ReasmFails)
                report("no-memory", "no new reassembly queue: \(net.ipv6.fqdir.mem) bytes queued > ip6frag_high_thresh \(high)")
                kfree_skb_reason("NOT_SPECIFIED", detail: "fragment of \(name) dropped: reassembly memory over ip6frag_high_thresh")
                return nil
            }
            q = FragQueue(created: now, iif: skb.dev)
        }
        trace.leave(g)
        let h = trace.enter(.ip6_frag_queue); defer { trace.leave(h) }
        let end = offset + payload.count
        func discard(_ why: String) -> UInt8? {
            counters.inc(.Ip6ReasmFails)
            net.ipv6.fqdir.queues[key] = nil
            net.ipv6.fqdir.mem -= q.memory
            report("overlap", "queue of \(name) discarded: \(why)")
            kfree_skb_reason("NOT_SPECIFIED", detail: "\(why): the fragment and the whole queue of \(name) are dropped")
            inet_frag_rbtree_purge(killed: q.fragments.count)
            return nil
        }
        func paramProb(_ why: String) -> UInt8? {
            net.ipv6.fqdir.queues[key] = q.fragments.isEmpty ? nil : q
            counters.inc(.Ip6InHdrErrors)
            icmpv6_param_prob(skb, code: 0, pointer: 4)
            kfree_skb_reason("NOT_SPECIFIED", detail: why + ": parameter problem pointing at the payload length")
            return nil
        }
        if end > 65535 { return paramProb("a fragment ending past 65535") }
        if more && end & 7 != 0 { return paramProb("a non-final fragment of \(payload.count) bytes, not a multiple of 8 (RFC 8200 4.5)") }
        switch q.place(offset: offset, end: end, more: more) {
        case .discard(let why, _): return discard(why)
        case .duplicate(let r, _):
            net.ipv6.fqdir.queues[key] = q
            report("duplicate", "already have bytes \(r.offset)–\(r.end)")
            kfree_skb_reason("DUP_FRAG", detail: "duplicate fragment \(offset)–\(end) of \(name): dropped, the queue kept")
            return nil
        case .fits: break
        }
        net.ipv6.fqdir.mem += q.add(offset: offset, end: end, bytes: payload, skbLength: skb.length, truesize: skb.truesize, headFrag: skb.headFrag, pagedTruesize: skb.pagedTruesize)
        if offset == 0 {
            q.firstIn = true
            // The unfragmentable part, its last next-header byte set to the fragment's next.
            var unfragmentable = Array(skb.frame[base..<(base + at)])
            unfragmentable[skb.ip6cb.nhoff] = next
            q.header = unfragmentable
            q.rid = UInt32(skb.ip6cb.nhoff)
            q.linkHeader = Array(skb.frame[..<base])
        }
        if q.isComplete {
            let nexthdr = ip6_frag_reasm(skb, key, q, completingIsHead: offset == 0)
            report("complete", "the datagram is whole: \(q.length) bytes in \(q.fragments.count) fragments")
            return nexthdr
        }
        net.ipv6.fqdir.queues[key] = q
        report("queued", "fragment \(q.fragments.count) of \(name); holes: " + holes(q))
        handedOff(.queue, function: "ipv6_frag_rcv", detail: "fragment \(offset)–\(end)\(more ? "+" : "") of \(name) queued; holes: \(holes(q))")
        return nil
    }

    /// ip6_frag_reasm: the datagram, whole, in `skb`; the next header to go on with.
    /// inet_frag_reasm_prepare morphs the completing skb into the head and consumes the old
    /// head — unless the completing fragment is the head itself (offset 0).
    func ip6_frag_reasm(_ skb: SKB, _ key: FragKey6, _ q: FragQueue, completingIsHead: Bool) -> UInt8 {
        let f = trace.enter(.ip6_frag_reasm); defer { trace.leave(f) }
        do {
            let g = trace.enter(.inet_frag_reasm_prepare); defer { trace.leave(g) }
            if !completingIsHead { sideEnd("consume_skb", reason: nil) }
        }
        counters.inc(.Ip6ReasmOKs)
        net.ipv6.fqdir.queues[key] = nil
        net.ipv6.fqdir.mem -= q.memory
        var header = q.header ?? []
        let payload = q.fragments.flatMap(\.bytes)
        let plen = header.count - 40 + payload.count
        header[4] = UInt8(plen >> 8); header[5] = UInt8(plen & 0xff)
        skb.frame = q.linkHeader + header + payload
        skb.networkOffset = q.linkHeader.count
        skb.length = header.count + payload.count
        skb.fragMaxSize = q.maxSize
        skb.ip6cb.nhoff = Int(q.rid)
        skb.ip6cb.transport = header.count
        // ip6_frag_reasm always tries to coalesce (inet_frag_reasm_finish(…, true)).
        (currentFragmentsMerged, skb.truesize) = reassembledFragList(q, tryCoalesce: true)
        return header[Int(q.rid)]
    }
}
