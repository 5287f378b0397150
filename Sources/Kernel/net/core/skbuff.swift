// net/core/skbuff.c — skb->truesize as the allocators set it (6.12's source; 6.18 x86_64 checked
// live: `ss -m`'s r after datagrams of 0–1472 bytes over veth from a UDP socket and from a
// packet socket, 832 / 1280 / 2304 bytes). truesize is what a receive queue charges
// (sk_rmem_alloc) and a reassembly queue counts against ipfrag_high_thresh.
//
//   SKB_TRUESIZE(X) = X + SKB_DATA_ALIGN(sizeof(struct sk_buff)) + SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
//                   = X + 256 + 320 on x86_64
// __alloc_skb's head comes from kmalloc_reserve: skb_small_head_cache (576 bytes: SKB_HEAD_ALIGN
// of MAX_TCP_HEADER) when it fits, else kmalloc's power-of-two caches, then whole pages.

enum SkBuff {
    static let skBuffSize = 256          // SKB_DATA_ALIGN(sizeof(struct sk_buff))
    static let sharedInfoSize = 320      // SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
    static let smallHeadCacheSize = 576  // SKB_SMALL_HEAD_CACHE_SIZE
    static let pageSize = 4096
    static let maxSkbFrags = 17          // MAX_SKB_FRAGS (CONFIG_MAX_SKB_FRAGS's default)

    /// SKB_DATA_ALIGN: to SMP_CACHE_BYTES (64).
    static func dataAlign(_ n: Int) -> Int { (n + 63) & ~63 }

    /// kmalloc_size_roundup beyond the small-head cache: kmalloc-1k … kmalloc-8k, then pages.
    static func kmallocRoundup(_ n: Int) -> Int {
        var size = 1024
        while size < n { size <<= 1 }
        return size
    }

    /// truesize of `alloc_skb(size)`: the head's object (data and skb_shared_info) and the
    /// sk_buff itself.
    static func allocSkbTruesize(_ size: Int) -> Int {
        let object = dataAlign(size) + sharedInfoSize
        return (object <= smallHeadCacheSize ? smallHeadCacheSize : kmallocRoundup(object)) + skBuffSize
    }

    /// truesize of `build_skb(data, fragSize)` / `napi_build_skb`: the fragment as the driver
    /// sized it (skb_shared_info at its end).
    static func buildSkbTruesize(fragSize: Int) -> Int { fragSize + skBuffSize }
}

extension Kernel {
    /// The truesize of a received frame's skb, as its driver allocated it.
    ///
    /// veth hands over the peer's own skb (__dev_forward_skb keeps it): a local sender's linear
    /// skb, `ip_make_skb`'s sock_alloc_send_skb of the IP packet plus LL_RESERVED_SPACE (16) and
    /// 15 bytes of alignment slack. (An AF_PACKET sender — what `tracer verify` injects with —
    /// allocates one byte less, 16 + the Ethernet frame: the two differ only for an IP length
    /// of 33 mod 64 bytes.)
    ///
    /// e1000 (MTU ≤ 1500) copies a frame of up to copybreak (256) bytes with its FCS into a
    /// napi_alloc_skb, a 1 KiB page fragment (1280); a longer one keeps its ring buffer,
    /// napi_build_skb of e1000_frag_len: SKB_DATA_ALIGN(1522 + NET_SKB_PAD) + 320 (2176). A
    /// larger MTU takes e1000_clean_jumbo_rx_irq's page per buffer.
    ///
    /// virtio_net: page_to_skb's (virtnetTruesize), for a buffer of the usual 1536 bytes; the
    /// driver sets it again from the buffer the frame really took (every 21st is larger).
    static func rxTruesize(driver: DriverKind, kernel: KernelVersion, frameLength: Int, networkLength: Int, mtu: Int) -> Int {
        switch driver {
        case .virtio_net:
            return virtnetTruesize(frameLength: frameLength, buffer: 0, kernel: kernel)
        case .veth:
            return SkBuff.allocSkbTruesize(networkLength + 16 + 15)
        case .e1000:
            if frameLength + 4 <= 256 { return SkBuff.buildSkbTruesize(fragSize: 1024) }
            if mtu <= 1500 { return SkBuff.buildSkbTruesize(fragSize: SkBuff.dataAlign(1522 + 64) + SkBuff.sharedInfoSize) }
            let pages = (frameLength + SkBuff.pageSize - 1) / SkBuff.pageSize
            return SkBuff.allocSkbTruesize(256) + pages * SkBuff.pageSize
        }
    }

    /// Whether a received frame's head is a page fragment (skb->head_frag, SKB.headFrag), which
    /// skb_try_coalesce can take over: the e1000's napi_alloc_skb and napi_build_skb buffers
    /// (MTU ≤ 1500, as in rxTruesize); not veth's, the peer's kmalloc'ed skb. (The e1000's jumbo
    /// path, pages added to a small head, is not modelled here: false.) virtio_net's page_to_skb
    /// says for each frame (virtnetSkb); this is its usual full-size frame's.
    static func rxHeadIsPageFragment(driver: DriverKind, kernel: KernelVersion, mtu: Int) -> Bool {
        switch driver {
        case .e1000: mtu <= 1500
        case .virtio_net: kernel == .v6_1
        case .veth: false
        }
    }
}
