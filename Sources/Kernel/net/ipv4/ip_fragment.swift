// net/ipv4/ip_fragment.c and net/ipv4/inet_fragment.c: reassembly on local delivery —
// modelled: 6.18 (checked: in order, out of order, duplicate, overlap, timeout with ICMP, closed
// port), 5.4 (same rules). Queues live across frames; the capture's timestamps are the clock.
//   ip_local_deliver → ip_defrag → ip_find (inet_frag_find) → ip_frag_queue
//     (inet_frag_queue_insert: RFC 5722 — an overlap kills the queue, a duplicate is dropped)
//     → ip_frag_reasm (inet_frag_reasm_prepare) when the last hole closes.
// Memory: each queued fragment counts its truesize against ipfrag_high_thresh; over it, no new
// queue is made (inet_frag_find returns NULL) and the fragment is dropped — so the model's own
// memory is bounded by the same limit. truesize is the driver's (Kernel.rxTruesize).
import HostModel
import Wire

struct FragKey: Hashable {
    let source: IPv4Address, destination: IPv4Address, ident: UInt16, proto: UInt8
    /// Who reassembles (enum ip_defrag_users): local delivery, or conntrack before PRE_ROUTING.
    var user: DefragUser = .localDeliver
}

enum DefragUser: Hashable { case localDeliver, conntrackIn }

struct FragQueue {
    /// `headFrag`, `pagedTruesize`: the skb's (skb->head_frag; its data in a page fragment past a small head).
    struct Fragment { var offset: Int; var end: Int; var bytes: [UInt8]; var truesize: Int; var headFrag = false; var pagedTruesize = 0 }
    var fragments: [Fragment] = []        // sorted by offset, non-overlapping
    var firstIn = false, lastIn = false
    var length = 0                        // q.len: the datagram's payload length as known so far
    var meat = 0                          // bytes received
    var created: Double
    var rid: UInt32 = 0
    /// The first fragment's IP header (the reassembled datagram's header) and its route.
    var header: [UInt8]?
    var iif: Interface
    var linkHeader: [UInt8] = []
    /// The largest fragment (q.max_size): the reassembled skb's IPCB frag_max_size.
    var maxSize = 0
    var memory: Int { fragments.reduce(0) { $0 + $1.truesize } }
}

extension Kernel {
    var ipfragTime: Double { net.ipv4.sysctl.ipfragTime }

    /// ip_defrag: true when the skb was taken (queued, merged or dropped); false when the datagram
    /// is now whole, with `skb` holding it.
    func ip_defrag(_ skb: SKB, user: DefragUser = .localDeliver) -> Bool {
        let f = trace.enter(.ip_defrag); defer { trace.leave(f) }
        counters.inc(.IpReasmReqds)
        let (key, offset, more, header, payload) = skb.withIPv4 { ip in
            (FragKey(source: ip.source, destination: ip.destination, ident: ip.ident, proto: ip.protocolNumber, user: user),
             ip.fragOffset, ip.moreFrags, Array(ip.header), Array(ip.payload))
        }
        // The datagram's name and the fragment's report are only printed: totals skip them.
        let name = recordsStacks ? "\(key.source) > \(key.destination) id 0x\(String(key.ident, radix: 16)) \(IPProtocol(key.proto))" : ""
        func report(_ outcome: String, _ detail: @autoclosure () -> String) {
            guard recordsStacks else { return }
            record.fragment = FragmentReport(datagram: name, offset: offset, length: payload.count, more: more, outcome: outcome, detail: detail())
        }
        // ip_find → inet_frag_find: an existing queue, or a new one while memory allows.
        let g = trace.enter(.ip_find); defer { trace.leave(g) }
        var q: FragQueue
        if let existing = net.ipv4.fqdir.queues[key] {
            q = existing
        } else {
            let high = net.ipv4.sysctl.ipfragHighThresh
            if high == 0 || net.ipv4.fqdir.mem > high {
                trace.leave(g)
                counters.inc(.IpReasmFails)
                report("no-memory", "no new reassembly queue: \(net.ipv4.fqdir.mem) bytes queued > ipfrag_high_thresh \(high)")
                kfree_skb_reason("NOT_SPECIFIED", detail: "fragment of \(name) dropped: reassembly memory over ipfrag_high_thresh")
                return true
            }
            q = FragQueue(created: now, iif: skb.dev)
            net.ipv4.fqdir.timers.append((now, key))
        }
        trace.leave(g)
        let h = trace.enter(.ip_frag_queue); defer { trace.leave(h) }
        // ip_frag_too_far: more than ipfrag_max_dist fragments from this source since this
        // queue's last one: start the queue over (ip_frag_reinit).
        let maxDist = net.ipv4.sysctl.ipfragMaxDist
        let rid = (net.ipv4.peers.rid[key.source] ?? 0) &+ 1
        net.ipv4.peers.rid[key.source] = rid
        if maxDist != 0, !q.fragments.isEmpty, rid &- q.rid > maxDist {
            counters.inc(.IpReasmFails)
            net.ipv4.fqdir.mem -= q.memory
            for _ in q.fragments { sideEnd("kfree_skb", reason: "FRAG_TOO_FAR", location: "inet_frag_rbtree_purge") }
            q = FragQueue(created: now, iif: skb.dev)  // ip_frag_reinit re-arms the timer
            net.ipv4.fqdir.timers.append((now, key))
        }
        q.rid = rid
        let fragEnd: Int
        switch q.place(offset: offset, end: offset + payload.count, more: more) {
        case .discard(let why, let overlap):
            if overlap { counters.inc(.IpExtReasmOverlaps) }
            return discardQueue(key, &q, name: name, report: report, why: why)
        case .duplicate(let r, let e):
            net.ipv4.fqdir.queues[key] = q
            report("duplicate", "already have bytes \(r.offset)–\(r.end)")
            kfree_skb_reason("DUP_FRAG", detail: "duplicate fragment \(offset)–\(e) of \(name): dropped, the queue kept")
            return true
        case .fits(let e): fragEnd = e
        }
        net.ipv4.fqdir.mem += q.add(offset: offset, end: fragEnd, bytes: Array(payload.prefix(fragEnd - offset)), skbLength: skb.length, truesize: skb.truesize, headFrag: skb.headFrag, pagedTruesize: skb.pagedTruesize)
        if offset == 0 {
            q.firstIn = true
            q.header = header
            q.linkHeader = Array(skb.frame[..<skb.networkOffset])
        }
        if q.isComplete {
            ip_frag_reasm(skb, key, q)
            report("complete", "the datagram is whole: \(q.length) bytes in \(q.fragments.count) fragments")
            return false
        }
        net.ipv4.fqdir.queues[key] = q
        report("queued", "fragment \(q.fragments.count) of \(name); holes: " + holes(q))
        handedOff(.queue, function: "ip_defrag", detail: "fragment \(offset)–\(fragEnd)\(more ? "+" : "") of \(name) queued; holes: \(holes(q))")
        return true
    }

    func holes(_ q: FragQueue) -> String {
        var out: [String] = []
        var at = 0
        for f in q.fragments {
            if f.offset > at { out.append("\(at)–\(f.offset)") }
            at = max(at, f.end)
        }
        if !q.lastIn { out.append("\(at)–?") } else if at < q.length { out.append("\(at)–\(q.length)") }
        return out.isEmpty ? "none" : out.joined(separator: ", ")
    }

    /// discard_qp: inet_frag_kill, IpReasmFails, the fragment freed; the queue's fragments are
    /// freed (consumed) when its last reference goes.
    func discardQueue(_ key: FragKey, _ q: inout FragQueue, name: String, report: (String, @autoclosure () -> String) -> Void, why: String) -> Bool {
        counters.inc(.IpReasmFails)
        net.ipv4.fqdir.queues[key] = nil
        net.ipv4.fqdir.mem -= q.memory
        report("overlap", "queue of \(name) discarded: \(why)")
        kfree_skb_reason("NOT_SPECIFIED", detail: "\(why): the fragment and the whole queue of \(name) are dropped")
        inet_frag_rbtree_purge(killed: q.fragments.count)
        return true
    }

    /// The fragments of a queue inet_frag_kill killed, freed when its last reference goes. 6.18
    /// frees them with the reason it is given, SKB_CONSUMED here: consume_skb events; 6.1 and 5.4
    /// with plain kfree_skb (the 6.1 guest: kfree_skb NOT_SPECIFIED at inet_frag_rbtree_purge).
    func inet_frag_rbtree_purge(killed n: Int) {
        let event = profile.kernel == .v6_18 ? "consume_skb" : "kfree_skb"
        for _ in 0..<n { sideEnd(event, reason: "NOT_SPECIFIED", location: "inet_frag_rbtree_purge") }
    }

    /// ip_frag_reasm: the datagram, whole, in `skb` (the completing fragment is merged and consumed).
    func ip_frag_reasm(_ skb: SKB, _ key: FragKey, _ q: FragQueue) {
        let f = trace.enter(.ip_frag_reasm); defer { trace.leave(f) }
        do {
            let g = trace.enter(.inet_frag_reasm_prepare); defer { trace.leave(g) }
            sideEnd("consume_skb", reason: nil)
        }
        counters.inc(.IpReasmOKs)
        net.ipv4.fqdir.queues[key] = nil
        net.ipv4.fqdir.mem -= q.memory
        var header = q.header ?? skb.withIPv4 { Array($0.header) }
        let payload = q.fragments.flatMap(\.bytes)
        let total = header.count + payload.count
        header[2] = UInt8(total >> 8); header[3] = UInt8(total & 0xff)
        header[6] &= 0x40; header[7] = 0   // offset and MF cleared, DF kept
        header[10] = 0; header[11] = 0
        let c = header.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
        header[10] = UInt8(c >> 8); header[11] = UInt8(c & 0xff)
        skb.frame = q.linkHeader + header + payload
        skb.networkOffset = q.linkHeader.count
        skb.length = total
        skb.fragMaxSize = q.maxSize
        (currentFragmentsMerged, skb.truesize) = reassembledFragList(q, tryCoalesce: key.user == .localDeliver)
    }

    /// The reassembly timer (ip_expire) for every queue older than ipfrag_time at `now`. Queues
    /// are made in capture order, so `net.ipv4.fqdir.timers` (creation time, key) is ordered by deadline:
    /// only its head is looked at, O(1) per frame. An entry whose queue is gone or was made
    /// again later is skipped.
    func inet_frags_expire() {
        while let first = net.ipv4.fqdir.timers.first, now - first.created >= ipfragTime {
            net.ipv4.fqdir.timers.removeFirst()
            guard let q = net.ipv4.fqdir.queues[first.key], q.created == first.created else { continue }
            net.ipv4.fqdir.queues[first.key] = nil
            net.ipv4.fqdir.mem -= q.memory
            ip_expire(first.key, q)
        }
    }

    func ip_expire(_ key: FragKey, _ q: FragQueue) {
        trace.context = ["run_timer_softirq"]
        let f = trace.enter(.ip_expire); defer { trace.leave(f); trace.context = [] }
        counters.inc(.IpReasmFails)
        counters.inc(.IpReasmTimeout)
        let name = "\(key.source) > \(key.destination) id 0x\(String(key.ident, radix: 16))"
        var line = "ip_expire: \(name) incomplete after \(Int(ipfragTime)) s (ipfrag_time): FRAG_REASM_TIMEOUT"
        var rest = q.fragments.count
        // frag_expire_skip_icmp: conntrack's own queues send no ICMP.
        if q.firstIn, key.user == .localDeliver, let header = q.header, let first = q.fragments.first {
            // The head fragment, routed again, gets an ICMP time exceeded (reassembly) — only an
            // end host sends one.
            let head = SKB(frame: q.linkHeader + header + first.bytes, networkOffset: q.linkHeader.count, dev: q.iif, pktType: .host, proto: .ipv4)
            _ = ip_route_input_noref(head)
            if head.dst?.input == .localDeliver {
                icmp_send(head, type: 11, code: 1, info: 0)
                line += "; ICMP time exceeded (reassembly) sent"
            }
            sideEnd("kfree_skb", reason: "FRAG_REASM_TIMEOUT", location: "ip_expire")
            rest -= 1
        }
        for _ in 0..<max(0, rest) { sideEnd("kfree_skb", reason: "FRAG_REASM_TIMEOUT", location: "inet_frag_rbtree_purge") }
        record.timers.append(line)
    }
}
