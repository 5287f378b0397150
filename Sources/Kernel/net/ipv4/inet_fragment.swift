// net/ipv4/inet_fragment.c — the reassembly queue rules IPv4 (ip_fragment.c) and IPv6
// (reassembly.c) share (6.18, 5.4): where a fragment goes (the length checks of ip_frag_queue /
// ip6_frag_queue, then inet_frag_queue_insert: RFC 5722 — an overlap kills the queue, a
// fragment wholly inside one already there is a duplicate), and adding it; and what
// inet_frag_reasm_finish makes of the fragments once the datagram is whole.

import HostModel

extension FragQueue {
    enum Placement {
        /// It goes in, ending at `end` (a non-final fragment is cut to a multiple of 8).
        case fits(end: Int)
        /// Wholly inside `of` (its end as placed).
        case duplicate(of: Fragment, end: Int)
        /// The queue must go: why, and whether for an overlap (…ReasmOverlaps).
        case discard(String, overlap: Bool)
    }

    /// Where bytes `offset`..<`end` of a fragment go; the queue's length and last-fragment flag
    /// are updated as the kernel updates them (before any discard).
    mutating func place(offset: Int, end: Int, more: Bool) -> Placement {
        var fragEnd = end
        if !more {
            if end < length || (lastIn && end != length) {
                return .discard("a last fragment that ends at \(end), not where the datagram ends", overlap: false)
            }
            lastIn = true
            length = end
        } else {
            fragEnd = end & ~7
            if fragEnd > length {
                if lastIn { return .discard("data beyond the last fragment's end", overlap: false) }
                length = fragEnd
            }
        }
        if fragEnd == offset { return .discard("an empty fragment", overlap: false) }
        // inet_frag_queue_insert: at the tail if after everything, else by search.
        if let last = fragments.last, last.end < fragEnd {
            if offset < last.end { return .discard("an overlapping fragment (RFC 5722)", overlap: true) }
        } else {
            for r in fragments where !(fragEnd <= r.offset || offset >= r.end) {
                if offset >= r.offset && fragEnd <= r.end { return .duplicate(of: r, end: fragEnd) }
                return .discard("an overlapping fragment (RFC 5722)", overlap: true)
            }
        }
        return .fits(end: fragEnd)
    }

    /// Adds the fragment (kept in offset order); returns the memory it charges.
    mutating func add(offset: Int, end: Int, bytes: [UInt8], skbLength: Int, truesize size: Int, headFrag: Bool = false, pagedTruesize: Int = 0) -> Int {
        maxSize = max(maxSize, skbLength)
        fragments.append(.init(offset: offset, end: end, bytes: bytes, truesize: size, headFrag: headFrag, pagedTruesize: pagedTruesize))
        fragments.sort { $0.offset < $1.offset }
        meat += end - offset
        return size
    }

    var isComplete: Bool { firstIn && lastIn && meat == length }
}

extension Kernel {
    /// What inet_frag_reasm_finish leaves on the reassembled skb's frag_list (freed with it, in
    /// skb_release_data), and the skb's truesize. With try_coalesce (IPv4 local delivery,
    /// ip_frag_coalesce_ok; IPv6's own reassembly; never conntrack's), skb_try_coalesce takes each
    /// later fragment over into the head's page fragments (kfree_skb_partial: no tracepoint),
    /// until one cannot be and the frag_list begins (then every later one goes there too):
    ///  - a fragment with its data in the head (headlen after the pull) gives the head itself as
    ///    a page fragment, which it can only when that head is a page fragment (SKB.headFrag:
    ///    the e1000's buffers, virtio_net's; not veth's kmalloc'ed heads, "locked");
    ///    the head's truesize grows by the fragment's less its sk_buff (256);
    ///  - a fragment whose data is a page fragment past an emptied head (SKB.pagedTruesize:
    ///    virtio_net's full-size frames) gives that page fragment, whatever its head; the truesize
    ///    grows by the page fragment's;
    /// either while the head holds at most MAX_SKB_FRAGS (17) — counting its own page fragment
    /// when it has one. The 6.1 guest shows both: the e1000's 19-fragment datagram leaves 1 on
    /// the frag_list, virtio_net's 2; 6.18's veth frees both of a 3-fragment datagram's later
    /// fragments at skb_release_data. Not modelled: the copy into the head's tailroom (22 bytes
    /// after a full-size e1000 frame) that skb_try_coalesce tries first (it merges the fragment
    /// too; only the truesize differs), and the e1000's jumbo-MTU receive path.
    func reassembledFragList(_ q: FragQueue, tryCoalesce: Bool) -> (fragList: Int, truesize: Int) {
        guard let head = q.fragments.first else { return (0, q.memory) }
        let later = q.fragments.dropFirst()
        guard tryCoalesce else { return (later.count, q.memory) }
        var truesize = head.truesize
        var frags = head.pagedTruesize > 0 ? 1 : 0
        var fragList = 0
        for f in later {
            let paged = f.pagedTruesize > 0
            if fragList == 0 && frags < SkBuff.maxSkbFrags && (paged || f.headFrag) {
                frags += 1
                truesize += paged ? f.pagedTruesize : f.truesize - SkBuff.skBuffSize
            } else {
                fragList += 1
                truesize += f.truesize
            }
        }
        return (fragList, truesize)
    }
}
