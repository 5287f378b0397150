// net/ipv4/arp.c — modelled: 6.18 (checked: request for us → reply; for another → consumed), 5.4.
import HostModel
import Wire

extension Kernel {
    func arp_rcv(_ skb: SKB) {
        let f = trace.enter(.arp_rcv); defer { trace.leave(f) }
        let parsed = skb.network.withUnsafeBytes { b -> (op: ARPOperation, sha: MACAddress, sip: IPv4Address, tip: IPv4Address)? in
            guard let a = ARPPacket.parse(b).value else { return nil }
            return (a.operation, a.senderHardwareAddress, a.senderProtocolAddress, a.targetProtocolAddress)
        }
        guard let arp = parsed else {
            kfree_skb_reason("NOT_SPECIFIED", detail: "not an Ethernet/IPv4 ARP packet of 28 bytes")
            return
        }
        if skb.pktType == .otherHost || skb.dev.isNoARP {
            consume_skb(.consume, detail: "ARP for another host's MAC or on a NOARP device")
            return
        }
        NF_HOOK(NFHookState(hook: .arpIn, indev: skb.dev, skb: skb)) { arp_process(skb, op: arp.op, sha: arp.sha, sip: arp.sip, tip: arp.tip) }
    }

    func arp_process(_ skb: SKB, op: ARPOperation, sha: MACAddress, sip: IPv4Address, tip: IPv4Address) {
        let f = trace.enter(.arp_process); defer { trace.leave(f) }
        let dev = skb.dev
        if sip.isMulticast || tip.isMulticast || tip.isLoopback {
            consume_skb(.consume, detail: "ARP with a multicast or loopback address")
            return
        }
        let key = NeighbourKey(device: dev.name, address: sip)
        let permanent = host.neighbours.contains { $0.device == dev.name && $0.address == .v4(sip) && $0.states.contains("PERMANENT") }
        if op == .request {
            // ip_route_input_noref(skb, tip, sip, 0, dev): is the target one of our addresses?
            let probe = SKB(frame: skb.frame, networkOffset: skb.networkOffset, dev: dev, pktType: skb.pktType, proto: .arp)
            let local = arpTargetIsLocal(probe, tip: tip, sip: sip)
            if local {
                if !permanent {  // neigh_event_ns: the asker becomes STALE
                    arpTbl[key] = NeighbourEntry(mac: sha, state: .stale, queue: arpTbl[key]?.queue ?? [])
                }
                let reply = ARPHeader(operation: .reply, senderHardwareAddress: dev.mac ?? .zero, senderProtocolAddress: tip,
                                      targetHardwareAddress: sha, targetProtocolAddress: sip).emit()
                let frame = EthernetHeader(destination: sha, source: dev.mac ?? .zero, etherType: .arp).emit(payload: reply)
                emitting("ARP reply") { arp_send_dst(frame, dev: dev) }
                consume_skb(.consume, detail: "ARP request for \(tip), ours on \(dev.name): reply sent" + (permanent ? "" : ", \(sip) learned"))
                return
            }
        }
        let awaited = op == .reply && arpTbl.awaitingCapture.remove(key) != nil
        if let e = arpTbl[key], !permanent {
            // A reply to our request for a PACKET_HOST frame confirms reachability.
            // (__neigh_update keeps the old state for the same address reported STALE.)
            let state: NUDState = op == .reply && skb.pktType == .host ? .reachable : (e.mac == sha ? e.state : .stale)
            neigh_update(key: key, mac: sha, state: state, dev: dev)
        }
        consume_skb(.consume, detail: op == .request
                    ? "ARP request for \(tip), not ours (no proxy ARP): nothing sent"
                    : "ARP \(op) from \(sip): neighbour entry " + (arpTbl[key] != nil ? "updated" : "not created (no pending lookup)")
                        + (awaited ? "; the packet waiting on its arp_queue leaves now (the next the capture shows sent to \(sip))" : ""))
    }

    /// The route lookup arp_process makes for the target (with the sender as source).
    func arpTargetIsLocal(_ skb: SKB, tip: IPv4Address, sip: IPv4Address) -> Bool {
        let f = trace.enter(.ip_route_input_noref); defer { trace.leave(f) }
        let fl = Flow(source: sip, destination: tip, iif: skb.dev, oif: nil)
        guard case .success(let res) = fib_lookup(fl) else { return false }
        if res.route.type == .local {
            return fib_validate_source(skb, src: sip, dst: tip, tos: 0, oif: nil).martian == nil
        }
        if res.route.type == .unicast, net.ipv4.conf(skb.dev).forwarding {
            let out = res.route.device.flatMap { host.interface(named: $0) }
            _ = fib_validate_source(skb, src: sip, dst: tip, tos: 0, oif: out)
        }
        return false
    }

    /// arp_solicit for a packet waiting on `target`: the source is the packet's own when it is a
    /// local address (arp_announce 0: inet_addr_type_dev_table), else the device's primary
    /// address; a broadcast request with an empty target hardware address.
    func arp_solicit(_ skb: OutputSKB, target: IPv4Address, dev: Interface) {
        let f = trace.enter(.arp_solicit); defer { trace.leave(f) }
        let saddr = IPv4Address(UInt32(skb.packet[12]) << 24 | UInt32(skb.packet[13]) << 16 | UInt32(skb.packet[14]) << 8 | UInt32(skb.packet[15]))
        let src = inet_addr_type(saddr) == .local ? saddr : (dev.primaryIPv4 ?? .any)
        let req = ARPHeader(operation: .request, senderHardwareAddress: dev.mac ?? .zero, senderProtocolAddress: src,
                            targetHardwareAddress: .zero, targetProtocolAddress: target).emit()
        let frame = EthernetHeader(destination: .broadcast, source: dev.mac ?? .zero, etherType: .arp).emit(payload: req)
        emitting("ARP request for \(target)") { arp_send_dst(frame, dev: dev) }
    }

    /// arp_send_dst → arp_xmit → NF_HOOK(ARP_OUT) → arp_xmit_finish → dev_queue_xmit.
    func arp_send_dst(_ frame: [UInt8], dev: Interface) {
        let f = trace.enter(.arp_send_dst); defer { trace.leave(f) }
        let g = trace.enter(.arp_xmit); defer { trace.leave(g) }
        NF_HOOK(NFHookState(hook: .arpOut, outdev: dev, outgoing: []), tail: false) {
            let h = trace.enter(.arp_xmit_finish); defer { trace.leave(h) }
            dev_queue_xmit(frame, dev: dev)
        }
    }
}

// ARP a capture shows the host sending comes from its neighbour layer, never from a socket:
//   a broadcast request for an address with no valid entry  __neigh_event_send (NUD_NONE →
//       INCOMPLETE) → neigh_probe → arp_solicit: a packet to it waits on the arp_queue and
//       leaves when the reply comes (the next one the capture shows sent to it)
//   the same request again                                  neigh_timer_handler (INCOMPLETE,
//       retrans_time: 1 s) → neigh_probe → arp_solicit
//   a request unicast to the entry's own MAC               neigh_timer_handler (DELAY → PROBE):
//       reconfirming a STALE entry
//   sender address = target address                         a gratuitous ARP (arp_send from
//       inetdev_event when an address comes up; or arping -U/-A through a packet socket)
//   a reply                                                 arp_process answering a request
//       (the witness matches it with the request the capture shows)
extension Kernel {
    func arp_own_send(_ arp: (op: ARPOperation, sha: MACAddress, sip: IPv4Address, tha: MACAddress, tip: IPv4Address),
                      ethernetDestination: MACAddress?, frame: [UInt8], dev: Interface) {
        let key = NeighbourKey(device: dev.name, address: arp.tip)
        let entry = arpTbl[key]
        let send = { self.arp_send_dst(frame, dev: dev) }
        if arp.op == .reply {
            let f = trace.enter(.arp_process); defer { trace.leave(f) }
            send()
            record.end?.verdict.detail = "ARP reply: \(arp.sip) is at \(arp.sha), to \(arp.tip) — the request it answers is not in the capture"
            return
        }
        if arp.sip == arp.tip {
            let f = trace.enter(.arp_send); defer { trace.leave(f) }
            send()
            record.end?.verdict.detail = "gratuitous ARP for \(arp.sip) (inetdev_event's arp_send when the address came up, or arping -U/-A)"
            return
        }
        let unicast = ethernetDestination.map { !$0.isMulticast } ?? false
        if unicast || entry?.state == .incomplete || entry?.state == .stale || entry?.state == .delay || entry?.state == .probe {
            // The neighbour timer: a retry for an INCOMPLETE entry, or a unicast probe of a STALE one.
            let t = trace.enter(.call_timer_fn); defer { trace.leave(t) }
            let g = trace.enter(.neigh_timer_handler); defer { trace.leave(g) }
            let was = entry?.state ?? .none
            var e = entry ?? NeighbourEntry(mac: nil, state: .incomplete)
            if unicast && was != .incomplete { e.state = .probe }
            arpTbl[key] = e
            let p = trace.enter(.neigh_probe); defer { trace.leave(p) }
            let s = trace.enter(.arp_solicit); defer { trace.leave(s) }
            send()
            record.end?.verdict.detail = unicast && was != .incomplete
                ? "neighbour \(arp.tip) (\(was.rawValue)) reconfirmed: a unicast ARP probe to \(entry?.mac?.description ?? "its last address") (NUD_PROBE)"
                : "neighbour \(arp.tip) still INCOMPLETE: the ARP request again (retrans_time)"
            return
        }
        // The first solicitation, made by the send that found no entry (in its context).
        let r = trace.enter(.neigh_resolve_output); defer { trace.leave(r) }
        let n = trace.enter(.neigh_event_send); defer { trace.leave(n) }
        let m = trace.enter(.__neigh_event_send); defer { trace.leave(m) }
        arpTbl[key] = NeighbourEntry(mac: nil, state: .incomplete, queue: entry?.queue ?? [])
        arpTbl.awaitingCapture.insert(key)
        let p = trace.enter(.neigh_probe); defer { trace.leave(p) }
        let s = trace.enter(.arp_solicit); defer { trace.leave(s) }
        send()
        record.end?.verdict.detail = "the neighbour layer resolves \(arp.tip) on \(dev.name) (now INCOMPLETE): the packet that needs it waits on the arp_queue and leaves when the reply comes"
    }
}
