// net/core/dev.c — modelled: 6.18, 5.4.
// __netif_receive_skb_core finds the packet_type handler for skb->protocol (and returns it);
// __netif_receive_skb_one_core then calls it — which is why the core function is not on the
// stack while ip_rcv runs.

import HostModel

extension Kernel {
    /// The NET_RX softirq: net_rx_action → (__)napi_poll → the device's poll function.
    func net_rx_action(_ poll: () -> Void) {
        let f = trace.enter(.net_rx_action); defer { trace.leave(f) }
        let g = trace.enter(profile.kernel == .v5_4 ? .napi_poll : .__napi_poll); defer { trace.leave(g) }
        poll()
    }

    /// A NAPI driver's receive (e1000, virtio_net): the frame needs a free buffer on the
    /// device's receive ring (`ringSize`; a steered packet's cost is the backlog's instead: the
    /// poll only hashes and queues it), else the device drops it before any skb exists
    /// (`ringFull`). Then the softirq the device's interrupt raised runs its poll — 6.1: as
    /// the interrupt returns (the guest's stacks: below it whatever the CPU was doing, idle
    /// there); 5.4 and 6.18: ksoftirqd, as the seed notes' backtrace has it — and, for a packet
    /// receive packet steering queued on the backlog, runs again to drain it.
    func napiReceive(_ skb: SKB, ringSize: Int, ringFull: @autoclosure () -> Verdict, poll: () -> Steering) {
        guard rpsSteers(skb.dev) || ringAdmits(skb, descriptors: ringSize) else {
            record.end = (ringFull(), [])
            return
        }
        trace.context = profile.kernel == .v6_1 ? Self.softirqOnIRQExit : Self.softirqInKsoftirqd
        var steering = Steering.received
        net_rx_action { steering = poll() }
        if steering == .backlog { net_rx_action { self.process_backlog(skb) } }
    }

    /// The frames below net_rx_action, outermost first (made once, not an array a frame).
    static let softirqOnIRQExit = ["asm_common_interrupt", "common_interrupt", "__irq_exit_rcu", "handle_softirqs"]
    static let softirqInKsoftirqd = ["ret_from_fork", "kthread", "smpboot_thread_fn", "run_ksoftirqd", "run_ksoftirqd", "__do_softirq"]

    /// Inlined into process_backlog (6.18), whose loop goes on afterwards: not a tail call
    /// there. In 5.4, netif_receive_skb_internal's callee, it is a tail call (gdb shows
    /// netif_receive_skb_internal directly above __netif_receive_skb_one_core); in 6.1 a
    /// function of its own (the guest's trace enters it) that ends in a jump to
    /// __netif_receive_skb_one_core (gdb's bt: process_backlog directly above that).
    func __netif_receive_skb(_ skb: SKB) {
        let f = trace.enter(.__netif_receive_skb); defer { trace.leave(f) }
        if profile.kernel != .v6_18 {
            trace.tailCall(from: f) { __netif_receive_skb_one_core(skb) }
        } else {
            __netif_receive_skb_one_core(skb)
        }
    }

    enum PacketHandler { case ip_rcv, ipv6_rcv, arp_rcv, none }

    func __netif_receive_skb_one_core(_ skb: SKB) {
        let f = trace.enter(.__netif_receive_skb_one_core); defer { trace.leave(f) }
        switch __netif_receive_skb_core(skb) {
        case .ip_rcv: ip_rcv(skb)
        case .ipv6_rcv: ipv6_rcv(skb)
        case .arp_rcv: arp_rcv(skb)
        case .none: break
        }
    }

    /// The list receive path (listified GRO: a driver's poll passes its skbs up together):
    /// netif_receive_skb_list_internal → __netif_receive_skb_list → __netif_receive_skb_list_core,
    /// which runs __netif_receive_skb_core on each skb for its packet_type, then hands each run
    /// of one type to its list_func (ip_list_rcv, ipv6_list_rcv) or, for a type without one
    /// (ARP), to its func skb by skb (__netif_receive_skb_list_ptype, inlined).
    /// Returns what became of the skb: `.backlog` when receive packet steering took it off the
    /// list for a CPU's backlog (process_backlog takes it up, in a later pass of the softirq).
    func netif_receive_skb_list_internal(_ skb: SKB) -> Steering {
        let f = trace.enter(.netif_receive_skb_list_internal); defer { trace.leave(f) }
        if rpsNeeded, get_rps_cpu(skb) {
            let steered = enqueue_to_backlog(skb)
            do { let g = trace.enter(.__netif_receive_skb_list); trace.leave(g) }   // the list, now empty
            return steered
        }
        let g = trace.enter(.__netif_receive_skb_list); defer { trace.leave(g) }
        let h = trace.enter(.__netif_receive_skb_list_core); defer { trace.leave(h) }
        let handler = __netif_receive_skb_core(skb)
        let p = trace.enter(.__netif_receive_skb_list_ptype); defer { trace.leave(p) }
        switch handler {
        case .ip_rcv: ip_list_rcv(skb)
        case .ipv6_rcv: ipv6_list_rcv(skb)
        case .arp_rcv: arp_rcv(skb)
        case .none: break
        }
        return .received
    }

    /// The ptype lookup. A frame with a VLAN tag (id ≠ 0) that no VLAN device takes is marked
    /// PACKET_OTHERHOST and goes on to its protocol, which drops it (the model has no VLAN
    /// devices). Protocols with no handler are dropped here (rx_dropped).
    func __netif_receive_skb_core(_ skb: SKB) -> PacketHandler {
        let f = trace.enter(.__netif_receive_skb_core); defer { trace.leave(f) }
        if skb.vlanTagged {
            let g = trace.enter(.vlan_do_receive); trace.leave(g)
            if skb.vlanID != 0 {
                skb.pktType = .otherHost
                skb.otherHostBecause = "VLAN \(skb.vlanID) tag and no VLAN device on \(skb.dev.name): __netif_receive_skb_core marks it PACKET_OTHERHOST"
            }
        }
        switch skb.proto {
        case .ipv4: return .ip_rcv
        case .arp: return .arp_rcv
        case .ipv6: return .ipv6_rcv
        default:
            kfree_skb_reason("UNHANDLED_PROTO", detail: "no packet_type for \(skb.proto) (the model handles IPv4, IPv6 and ARP); rx_dropped on \(skb.dev.name)")
            return .none
        }
    }
}


// Receive packet steering (RPS, net/core/dev.c under CONFIG_RPS): a receive queue with CPUs in
// its rps_cpus mask hands each packet to a CPU's backlog (enqueue_to_backlog) instead of up the
// stack; process_backlog takes it up there, in NET_RX softirq. The static key rps_needed is on
// while any queue on the machine has a mask (or net.core.rps_sock_flow_entries a table): then
// every driver's receive asks get_rps_cpu, which hashes the packet (__skb_get_hash_net) only
// for a queue that has a mask. The model takes the chosen CPU to be the one the packet came in
// on (a host's own CPU is not in a capture): the backlog is drained when this softirq, having
// polled the driver, runs again (handle_softirqs restarts it for the NET_RX it raised). Flow
// tables (rps_flow_cnt, RFS) and flow limits are not in a snapshot and not modelled.
enum Steering { case received, backlog, dropped }

extension Kernel {
    /// A packet arriving on `dev` is steered to a backlog (get_rps_cpu's answer, without its trace).
    func rpsSteers(_ dev: Interface) -> Bool { rpsNeeded && dev.rpsCPUs != nil }

    /// get_rps_cpu: true when the skb's receive queue steers it (its rps_cpus has a CPU).
    func get_rps_cpu(_ skb: SKB) -> Bool {
        let f = trace.enter(.get_rps_cpu); defer { trace.leave(f) }
        guard rpsSteers(skb.dev) else { return false }   // no map: -1, without a hash
        if profile.kernel != .v5_4 { let g = trace.enter(.__skb_get_hash_net); trace.leave(g) }
        return true   // the flow hash is never 0 (__flow_hash_from_keys makes it 1)
    }

    /// enqueue_to_backlog for a steered skb: `.backlog`, or `.dropped` (CPU_BACKLOG) when the
    /// backlog already holds more than net.core.netdev_max_backlog.
    func enqueue_to_backlog(_ skb: SKB) -> Steering {
        let h = trace.enter(.enqueue_to_backlog); defer { trace.leave(h) }
        guard backlogAdmits(skb) else {
            kfree_skb_reason("CPU_BACKLOG", detail: "receive packet steering (rps_cpus \(skb.dev.rpsCPUs ?? "")) queued it for a CPU's backlog, which already holds more than net.core.netdev_max_backlog \(netdevMaxBacklog) packets (each costs the softirq \(Self.microseconds(serviceTime)), --service-time): softnet_stat's dropped column, rx_dropped on \(skb.dev.name)")
            return .dropped
        }
        return .backlog
    }
}

// The transmit half of net/core/dev.c (and net/sched/sch_generic.c's sch_direct_xmit):
// dev_queue_xmit → __dev_queue_xmit → the qdisc (pfifo_fast: __dev_xmit_skb → sch_direct_xmit;
// veth is noqueue) → dev_hard_start_xmit → the driver's ndo_start_xmit.
extension Kernel {
    /// `reachedByJump`: the caller ended with `return dev_queue_xmit(skb)` (neigh_resolve_output,
    /// neigh_connected_output). 6.18's dev_queue_xmit is an inline wrapper, never a frame. In the
    /// seed notes' 5.4 backtraces it keeps a frame under neigh_hh_output but leaves none on the
    /// n->output path (neigh_output directly above __dev_queue_xmit): modelled as that build's
    /// tail call. (No 5.4 kernel here to check why the two differ.)
    func dev_queue_xmit(_ frame: [UInt8], dev: Interface, reachedByJump: Bool = false) {
        let f = trace.enter(.dev_queue_xmit); defer { trace.leave(f) }
        if reachedByJump && profile.kernel == .v5_4 {
            trace.tailCall(from: f) { __dev_queue_xmit(frame, dev: dev) }
        } else {
            __dev_queue_xmit(frame, dev: dev)
        }
    }

    func __dev_queue_xmit(_ frame: [UInt8], dev: Interface) {
        let g = trace.enter(.__dev_queue_xmit); defer { trace.leave(g) }
        let drv = driver(of: dev)
        if drv != .veth {
            // pfifo_fast: __dev_xmit_skb → sch_direct_xmit (the seed notes' transmit backtrace;
            // a one-queue virtio_net's too, as the 6.1 guest's trace shows).
            let q = trace.enter(.__dev_xmit_skb); defer { trace.leave(q) }
            let s = trace.enter(.sch_direct_xmit); defer { trace.leave(s) }
            dev_hard_start_xmit(frame, dev: dev, driver: drv)
        } else {
            dev_hard_start_xmit(frame, dev: dev, driver: drv)  // noqueue
        }
    }

    func dev_hard_start_xmit(_ frame: [UInt8], dev: Interface, driver: DriverKind) {
        let f = trace.enter(.dev_hard_start_xmit); defer { trace.leave(f) }
        let xmit: KFunc = switch driver {
        case .e1000: .e1000_xmit_frame
        case .virtio_net: .start_xmit
        case .veth: .veth_xmit
        }
        if ownPacket {
            handedOff(.send, function: xmit.name, detail: "handed to \(xmit.name) on \(dev.name)")
        }
        let g = trace.enter(xmit); trace.leave(g)
        record.emitted.append(EmittedFrame(iface: dev.name, bytes: frame, why: emittingPacket ?? (transmitting ? "sent" : "forwarded")))
    }
}
