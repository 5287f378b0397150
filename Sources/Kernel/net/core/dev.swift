// net/core/dev.c — modelled: 6.18, 5.4.
// __netif_receive_skb_core finds the packet_type handler for skb->protocol (and returns it);
// __netif_receive_skb_one_core then calls it — which is why the core function is not on the
// stack while ip_rcv runs.

extension Kernel {
    /// The NET_RX softirq: net_rx_action → (__)napi_poll → the device's poll function.
    func net_rx_action(_ poll: () -> Void) {
        let f = trace.enter("net_rx_action"); defer { trace.leave(f) }
        let g = trace.enter(profile.kernel == .v5_4 ? "napi_poll" : "__napi_poll"); defer { trace.leave(g) }
        poll()
    }

    /// Inlined into process_backlog (6.18), whose loop goes on afterwards: not a tail call
    /// there. In 5.4, netif_receive_skb_internal's callee, it is a tail call (gdb shows
    /// netif_receive_skb_internal directly above __netif_receive_skb_one_core).
    func __netif_receive_skb(_ skb: SKB) {
        let f = trace.enter("__netif_receive_skb"); defer { trace.leave(f) }
        if profile.kernel == .v5_4 {
            trace.tailCall(from: f) { __netif_receive_skb_one_core(skb) }
        } else {
            __netif_receive_skb_one_core(skb)
        }
    }

    enum PacketHandler { case ip_rcv, arp_rcv, none }

    func __netif_receive_skb_one_core(_ skb: SKB) {
        let f = trace.enter("__netif_receive_skb_one_core"); defer { trace.leave(f) }
        switch __netif_receive_skb_core(skb) {
        case .ip_rcv: ip_rcv(skb)
        case .arp_rcv: arp_rcv(skb)
        case .none: break
        }
    }

    /// The ptype lookup. A frame with a VLAN tag (id ≠ 0) that no VLAN device takes is marked
    /// PACKET_OTHERHOST and goes on to its protocol, which drops it (the model has no VLAN
    /// devices). Protocols with no handler are dropped here (rx_dropped).
    func __netif_receive_skb_core(_ skb: SKB) -> PacketHandler {
        let f = trace.enter("__netif_receive_skb_core"); defer { trace.leave(f) }
        if skb.vlanTagged {
            let g = trace.enter("vlan_do_receive"); trace.leave(g)
            if skb.vlanID != 0 {
                skb.pktType = .otherHost
                skb.otherHostBecause = "VLAN \(skb.vlanID) tag and no VLAN device on \(skb.dev.name): __netif_receive_skb_core marks it PACKET_OTHERHOST"
            }
        }
        switch skb.proto {
        case .ipv4: return .ip_rcv
        case .arp: return .arp_rcv
        case .ipv6:
            end = (Verdict(action: .error, reason: nil, function: "ipv6_rcv", detail: "IPv6: the receive path of IPv6 is not modelled yet"), [])
            return .none
        default:
            kfree_skb_reason("UNHANDLED_PROTO", detail: "no packet_type for \(skb.proto) (the model handles IPv4 and ARP); rx_dropped on \(skb.dev.name)")
            return .none
        }
    }
}

