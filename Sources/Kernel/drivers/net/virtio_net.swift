// drivers/net/virtio_net.c — modelled: 6.1 (checked in a qemu guest on its virtio-net-pci:
// DRIVER=virtio_net Fixtures/vm/check.sh, make oracle-vm-virtio), 6.18 (6.12's tree, and this
// machine's 6.18 build for what it inlined: its kallsyms has virtnet_poll, receive_buf,
// page_to_skb and start_xmit, not virtnet_receive, virtnet_receive_packets, receive_mergeable or
// virtqueue_napi_complete). Not 5.4 (no build of it at hand to say what it inlined).
// The device as qemu, KVM and most clouds offer it: mergeable receive buffers
// (VIRTIO_NET_F_MRG_RXBUF, receive_mergeable; not receive_small's or receive_big's buffers),
// one queue pair, no XDP program.
// NAPI poll: net_rx_action → __napi_poll → virtnet_poll → virtnet_receive → receive_buf →
// receive_mergeable → page_to_skb; then (6.18: in virtnet_receive_done) eth_type_trans and
// napi_gro_receive, which queues the skb on napi->rx_list (GRO_NORMAL) as the e1000's does, for
// virtqueue_napi_complete → napi_complete_done to pass up as a list.

extension Kernel {
    func virtnet_poll(_ skb: SKB) {
        // The guest's receive queue holds virtioRxQueueSize buffers: beyond that the device has
        // nowhere to put a frame, and the kernel never sees it.
        napiReceive(skb, ringSize: Self.virtioRxQueueSize,
                    ringFull: Verdict(action: .drop, reason: nil, function: "virtio_net (the device)",
                                      detail: "the receive queue's \(Self.virtioRxQueueSize) buffers are all full (each packet costs the softirq \(Self.microseconds(serviceTime)), --service-time): the device (the hypervisor's backend) holds or drops it; no skb, no kfree_skb in the guest")) {
            let f = self.trace.enter(.virtnet_poll); defer { self.trace.leave(f) }
            // virtnet_poll_cleantx first: the send queue's finished buffers (helpers, not modelled).
            var steering = self.virtnet_receive(skb)
            if self.profile.listifiedGRO {
                let g = self.trace.enter(.virtqueue_napi_complete); defer { self.trace.leave(g) }
                steering = self.napi_complete_done(skb)
            }
            return steering
        }
    }

    /// The receive loop, one buffer a frame (6.18: in virtnet_receive_packets).
    func virtnet_receive(_ skb: SKB) -> Steering {
        let f = trace.enter(.virtnet_receive); defer { trace.leave(f) }
        guard profile.kernel == .v6_18 else { return receive_buf(skb) }
        let g = trace.enter(.virtnet_receive_packets); defer { trace.leave(g) }
        return receive_buf(skb)
    }

    /// qemu's virtio-net-pci default (rx_queue_size; `ethtool -g` shows it, a snapshot does not).
    static let virtioRxQueueSize = 256

    func receive_buf(_ skb: SKB) -> Steering {
        let f = trace.enter(.receive_buf); defer { trace.leave(f) }
        do {
            let g = trace.enter(.receive_mergeable); defer { trace.leave(g) }
            let h = trace.enter(.page_to_skb); defer { trace.leave(h) }
            let built = Self.virtnetSkb(frameLength: skb.frame.count, buffer: virtnet.takeBuffer(dev: skb.dev.name), kernel: profile.kernel)
            (skb.truesize, skb.headFrag, skb.pagedTruesize) = (built.truesize, built.headFrag, built.pagedTruesize)
        }
        // The device's header says nothing of the checksum (a frame from a tap or a wire, not
        // from the host's own stack): CHECKSUM_NONE, verified in software as the e1000's.
        // 6.18 moved the tail into virtnet_receive_done, which receive_buf ends by calling.
        if profile.kernel == .v6_18 { return trace.tailCall(from: f) { virtnet_receive_done(skb) } }
        return typeAndGRO(skb, endingFrame: f)
    }

    func virtnet_receive_done(_ skb: SKB) -> Steering {
        let f = trace.enter(.virtnet_receive_done); defer { trace.leave(f) }
        return typeAndGRO(skb, endingFrame: f)
    }

    /// receive_buf's tail (6.18: virtnet_receive_done's): eth_type_trans, then GRO as the
    /// function's last call, a tail call — 6.1's gdb shows napi_gro_receive right under
    /// virtnet_receive (6.18's build is taken to compile the same tail the same way).
    private func typeAndGRO(_ skb: SKB, endingFrame f: CallTrace.Frame) -> Steering {
        do { let g = trace.enter(.eth_type_trans); trace.leave(g) }
        return trace.tailCall(from: f) { napi_gro_receive(skb) }
    }

    /// A mergeable buffer's size (get_mergeable_buf_len): the virtio-net header (12 bytes) and
    /// rq->min_buf_len (GOOD_PACKET_LEN, 1518, for a queue of 256 and an MTU of 1500), aligned to
    /// the cache line: 1536. (The average packet length only raises it past 1518: jumbo frames,
    /// not modelled.) add_recvbuf_mergeable cuts them from a 32 KiB page fragment, and gives the
    /// last one in each the page's rest (a 512-byte hole, too small for another): every 21st
    /// buffer is 2048. Buffers are used in the order they were added; the model counts them from
    /// the capture's first frame on each device, as on an interface just brought up.
    static let virtnetBufferLength = 1536
    static let virtnetBuffersPerPage = 32768 / virtnetBufferLength

    static func virtnetBufferTruesize(_ buffer: Int) -> Int {
        buffer % virtnetBuffersPerPage == virtnetBuffersPerPage - 1 ? 32768 - (virtnetBuffersPerPage - 1) * virtnetBufferLength : virtnetBufferLength
    }

    /// page_to_skb's skb for a frame of `frameLength` bytes (without the virtio-net header) in
    /// buffer number `buffer`: past GOOD_COPY_LEN (128) bytes, and with room left in the
    /// buffer for skb_shared_info (up to 1204 bytes in a 1536-byte buffer), build_skb around the
    /// buffer itself; else a napi_alloc_skb of GOOD_COPY_LEN that takes the whole frame (up to
    /// 128 bytes; the buffer is freed) or only its Ethernet header, the rest staying in the
    /// buffer as a page fragment (its truesize added). napi_alloc_skb(128): 6.1's 1 KiB page
    /// fragment (as the e1000's copybreak skb); 6.18's kmalloc'ed small head (__alloc_skb of
    /// 128 + NET_SKB_PAD), not a page fragment.
    static func virtnetSkb(frameLength: Int, buffer: Int, kernel: KernelVersion) -> (truesize: Int, headFrag: Bool, pagedTruesize: Int) {
        let bufferSize = virtnetBufferTruesize(buffer)
        let headerLength = 12
        let copied = kernel == .v6_1 ? SkBuff.buildSkbTruesize(fragSize: 1024) : SkBuff.allocSkbTruesize(128 + 64)
        if frameLength > 128 && bufferSize - headerLength - frameLength >= SkBuff.sharedInfoSize {
            return (SkBuff.buildSkbTruesize(fragSize: bufferSize), true, 0)
        }
        return frameLength <= 128 ? (copied, kernel == .v6_1, 0) : (copied + bufferSize, kernel == .v6_1, bufferSize)
    }

    static func virtnetTruesize(frameLength: Int, buffer: Int, kernel: KernelVersion) -> Int {
        virtnetSkb(frameLength: frameLength, buffer: buffer, kernel: kernel).truesize
    }
}

/// Each virtio_net device's receive queue: how many of its buffers frames have used.
final class VirtnetReceiveQueues {
    private var taken: [String: Int] = [:]

    /// The number of the next buffer on `dev`'s queue (from 0), which the frame now takes.
    func takeBuffer(dev: String) -> Int {
        let n = taken[dev, default: 0]
        taken[dev] = n + 1
        return n
    }
}
