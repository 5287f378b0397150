// drivers/net/ethernet/intel/e1000/e1000_main.c — modelled: 5.4 (the seed notes' gdb
// backtrace), 6.18 (same shape up to napi_gro_receive; not checked on a live e1000 here).
// NAPI poll in ksoftirqd: net_rx_action → napi_poll → e1000_clean → e1000_clean_rx_irq →
// e1000_receive_skb → napi_gro_receive → napi_skb_finish → netif_receive_skb_internal.

extension Kernel {
    func e1000_clean(_ skb: SKB) {
        guard ringAdmits(skb) else {
            // No descriptor was free: the NIC drops the frame itself (rx_missed_errors), before
            // any skb exists — nothing the kernel's tracepoints see.
            record.end = (Verdict(action: .drop, reason: nil, function: "e1000 (the NIC)",
                                  detail: "the RX ring's \(Self.e1000RxDescriptors) descriptors are all full (each packet costs the softirq \(Self.microseconds(serviceTime)), --service-time): the NIC drops it, rx_missed_errors in ethtool -S; no skb, no kfree_skb"), [])
            return
        }
        trace.context = ["ret_from_fork", "kthread", "smpboot_thread_fn", "run_ksoftirqd", "run_ksoftirqd", "__do_softirq"]
        net_rx_action {
            let f = self.trace.enter(.e1000_clean); defer { self.trace.leave(f) }
            self.e1000_clean_rx_irq(skb)
        }
    }

    func e1000_clean_rx_irq(_ skb: SKB) {
        let f = trace.enter(.e1000_clean_rx_irq); defer { trace.leave(f) }
        do { let g = trace.enter(.eth_type_trans); trace.leave(g) }
        let g = trace.enter(.e1000_receive_skb); defer { trace.leave(g) }
        napi_gro_receive(skb)
    }

    func napi_gro_receive(_ skb: SKB) {
        let f = trace.enter(.napi_gro_receive); defer { trace.leave(f) }
        do { let g = trace.enter(.dev_gro_receive); trace.leave(g) }  // no GRO for this frame: GRO_NORMAL
        let g = trace.enter(.napi_skb_finish); defer { trace.leave(g) }
        netif_receive_skb_internal(skb)
    }

    func netif_receive_skb_internal(_ skb: SKB) {
        let f = trace.enter(.netif_receive_skb_internal); defer { trace.leave(f) }
        __netif_receive_skb(skb)
    }
}
