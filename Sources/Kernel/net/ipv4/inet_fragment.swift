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
    mutating func add(offset: Int, end: Int, bytes: [UInt8], skbLength: Int, truesize size: Int) -> Int {
        maxSize = max(maxSize, skbLength)
        fragments.append(.init(offset: offset, end: end, bytes: bytes, truesize: size))
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
    /// later fragment's buffer over as a page fragment of the head (kfree_skb_partial: no
    /// tracepoint) when that buffer is a page fragment itself, as the e1000's receive buffers are
    /// (`rxHeadIsPageFragment`), up to MAX_SKB_FRAGS and not once the
    /// frag_list has begun; the head's truesize grows by the fragment's less its sk_buff (256).
    /// The 6.1 guest's e1000 shows it: no fragment freed with a reassembled datagram. A veth
    /// frame's kmalloc'ed head is "locked": every fragment goes on the frag_list (6.18's veth
    /// shows both of a datagram's later fragments freed at skb_release_data). Not modelled: the
    /// copy into the head's tailroom (22 bytes after a full-size e1000 frame) that
    /// skb_try_coalesce tries first (it merges the fragment too; only the truesize differs), and
    /// the e1000's jumbo-MTU receive path.
    func reassembledFragList(_ q: FragQueue, tryCoalesce: Bool, dev: Interface) -> (fragList: Int, truesize: Int) {
        guard let head = q.fragments.first else { return (0, q.memory) }
        let later = q.fragments.dropFirst()
        guard tryCoalesce, Kernel.rxHeadIsPageFragment(driver: driver(of: dev), kernel: profile.kernel, mtu: dev.mtu) else { return (later.count, q.memory) }
        let stolen = min(later.count, SkBuff.maxSkbFrags)
        var truesize = head.truesize
        for (i, f) in later.enumerated() { truesize += i < stolen ? f.truesize - SkBuff.skBuffSize : f.truesize }
        return (later.count - stolen, truesize)
    }
}
