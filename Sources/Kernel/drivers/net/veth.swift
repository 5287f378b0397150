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
            guard __netif_rx(skb) else { return }
        }
        trace.leave(f)
        // The backlog is drained in NET_RX softirq context.
        trace.context = profile.kernel == .v5_4
            ? ["__dev_queue_xmit", "__local_bh_enable_ip", "do_softirq", "__do_softirq"]
            : ["__dev_queue_xmit", "__local_bh_enable_ip", "do_softirq", "handle_softirqs"]
        net_rx_action { self.process_backlog(skb) }
    }

    /// False when enqueue_to_backlog dropped the skb (NET_RX_DROP).
    func __netif_rx(_ skb: SKB) -> Bool {
        let f = trace.enter(.__netif_rx); defer { trace.leave(f) }
        let g = trace.enter(.netif_rx_internal); defer { trace.leave(g) }
        // With rps_needed on, the CPU is get_rps_cpu's (-1, this CPU, for a queue without a mask).
        if rpsNeeded { _ = get_rps_cpu(skb) }
        let h = trace.enter(.enqueue_to_backlog); defer { trace.leave(h) }
        guard backlogAdmits(skb) else {
            kfree_skb_reason("CPU_BACKLOG", detail: "the CPU's backlog already holds more than net.core.netdev_max_backlog \(netdevMaxBacklog) packets (each costs the softirq \(Self.microseconds(serviceTime)), --service-time): softnet_stat's dropped column, rx_dropped on \(skb.dev.name)")
            return false
        }
        return true
    }

    static func microseconds(_ s: Double) -> String {
        let us = s * 1e6
        return us == us.rounded() ? "\(Int(us)) µs" : "\(us) µs"
    }

    func process_backlog(_ skb: SKB) {
        let f = trace.enter(.process_backlog); defer { trace.leave(f) }
        __netif_receive_skb(skb)
    }
}
