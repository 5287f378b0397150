// drivers/net/ethernet/intel/e1000/e1000_main.c — modelled: 5.4 (the seed notes' gdb
// backtrace), 6.1 (checked in a qemu guest on its emulated e1000: make vm-smoke), 6.18 (6.1's
// shape; the same code in 6.12's tree, no live e1000 here).
// NAPI poll: net_rx_action → __napi_poll → e1000_clean → e1000_clean_rx_irq → e1000_receive_skb
// → napi_gro_receive → napi_skb_finish, which
//  - 5.4 (the seed's trace): passes the skb up at once (netif_receive_skb_internal → ip_rcv);
//  - 6.1, 6.18: queues it on napi->rx_list (gro_normal_one, GRO_NORMAL) for e1000_clean's
//    napi_complete_done to pass the list up (netif_receive_skb_list_internal → ip_list_rcv).
//    A poll that gathers gro_normal_batch (8) skbs passes them up from napi_gro_receive
//    instead; the model polls once a frame, as a host that is not flooded does.

extension Kernel {
    func e1000_clean(_ skb: SKB) {
        // No descriptor free: the NIC drops the frame itself (rx_missed_errors), before any skb
        // exists — nothing the kernel's tracepoints see.
        napiReceive(skb, ringSize: Self.e1000RxDescriptors,
                    ringFull: Verdict(action: .drop, reason: nil, function: "e1000 (the NIC)",
                                      detail: "the RX ring's \(Self.e1000RxDescriptors) descriptors are all full (each packet costs the softirq \(Self.microseconds(serviceTime)), --service-time): the NIC drops it, rx_missed_errors in ethtool -S; no skb, no kfree_skb")) {
            let f = self.trace.enter(.e1000_clean); defer { self.trace.leave(f) }
            let steering = self.e1000_clean_rx_irq(skb)
            return self.profile.listifiedGRO ? self.napi_complete_done(skb) : steering
        }
    }

    /// The Ethernet minimum (ETH_ZLEN, without the FCS): a shorter frame reaches the NIC padded
    /// by its sender's, and the e1000 hands the padding up with it — skb->len counts it until
    /// ip_rcv_core trims to tot_len, so IpExtInOctets does (as the 6.1 guest's nstat shows).
    static let ethZLen = 60

    func e1000_clean_rx_irq(_ skb: SKB) -> Steering {
        let f = trace.enter(.e1000_clean_rx_irq); defer { trace.leave(f) }
        let short = Self.ethZLen - (skb.vlanTagged ? 18 : 14) - skb.length
        if short > 0 && skb.frame.count == skb.networkOffset + skb.length {
            skb.frame += [UInt8](repeating: 0, count: short)
            skb.length += short
        }
        do { let g = trace.enter(.eth_type_trans); trace.leave(g) }
        let g = trace.enter(.e1000_receive_skb); defer { trace.leave(g) }
        return napi_gro_receive(skb)
    }

    /// `.received` also when the skb waits on napi->rx_list (listified GRO).
    func napi_gro_receive(_ skb: SKB) -> Steering {
        let f = trace.enter(.napi_gro_receive); defer { trace.leave(f) }
        do { let g = trace.enter(.dev_gro_receive); trace.leave(g) }  // no GRO for this frame: GRO_NORMAL
        let g = trace.enter(.napi_skb_finish); defer { trace.leave(g) }
        if profile.listifiedGRO {
            let h = trace.enter(.gro_normal_one); trace.leave(h)   // on napi->rx_list until the poll completes
            return .received
        }
        return netif_receive_skb_internal(skb)
    }

    /// The poll is done: napi_complete_done → gro_normal_list passes napi->rx_list up.
    func napi_complete_done(_ skb: SKB) -> Steering {
        let f = trace.enter(.napi_complete_done); defer { trace.leave(f) }
        let g = trace.enter(.gro_normal_list); defer { trace.leave(g) }
        return netif_receive_skb_list_internal(skb)
    }

    func netif_receive_skb_internal(_ skb: SKB) -> Steering {
        let f = trace.enter(.netif_receive_skb_internal); defer { trace.leave(f) }
        if rpsNeeded, get_rps_cpu(skb) { return enqueue_to_backlog(skb) }
        __netif_receive_skb(skb)
        return .received
    }
}
