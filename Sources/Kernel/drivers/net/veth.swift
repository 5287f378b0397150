// drivers/net/veth.c (and the backlog half of net/core/dev.c) — modelled: 6.18, 5.4.
// A frame sent into a veth peer: veth_xmit → __netif_rx → enqueue_to_backlog; then NET_RX
// softirq: net_rx_action → __napi_poll → process_backlog → __netif_receive_skb_one_core.
// The softirq runs on the sender's way out of __dev_queue_xmit (handle_softirqs ←
// do_softirq ← __local_bh_enable_ip ← __dev_queue_xmit), as the stack traces show.
// __dev_forward_skb keeps the sender's skb->ip_summed: a TCP or UDP checksum the peer left to
// "hardware" (CHECKSUM_PARTIAL, veth's default offload) arrives unfinished and is trusted.

extension Kernel {
    func veth_xmit(_ skb: SKB) {
        let f = trace.enter(.veth_xmit); defer { trace.leave(f) }
        do {
            let g = trace.enter(.veth_forward_skb); defer { trace.leave(g) }
            do {
                let h = trace.enter(.__dev_forward_skb); defer { trace.leave(h) }
                if skb.proto == .ipv4, skb.length >= 20, skb.transportChecksumIsPartial { skb.ipSummed = .partial }
            }
            __netif_rx(skb)
        }
        trace.leave(f)
        // The backlog is drained in NET_RX softirq context.
        trace.context = profile.kernel == .v5_4
            ? ["__dev_queue_xmit", "__local_bh_enable_ip", "do_softirq", "__do_softirq"]
            : ["__dev_queue_xmit", "__local_bh_enable_ip", "do_softirq", "handle_softirqs"]
        net_rx_action { self.process_backlog(skb) }
    }

    func __netif_rx(_ skb: SKB) {
        let f = trace.enter(.__netif_rx); defer { trace.leave(f) }
        let g = trace.enter(.netif_rx_internal); defer { trace.leave(g) }
        let h = trace.enter(.enqueue_to_backlog); trace.leave(h)
    }

    func process_backlog(_ skb: SKB) {
        let f = trace.enter(.process_backlog); defer { trace.leave(f) }
        __netif_receive_skb(skb)
    }
}
