// net/ipv4/ip_output.c, include/net/neighbour.h, net/core/dev.c (transmit) — modelled: 6.18, 5.4.
// The output half every emitted packet takes: ip_output → NF_HOOK(POST_ROUTING) →
// ip_finish_output → __ip_finish_output → ip_finish_output2 → neigh_output →
// dev_queue_xmit → __dev_queue_xmit → dev_hard_start_xmit → the driver's ndo_start_xmit.
import HostModel
import Wire

extension Kernel {
    /// ip_local_out for packets this host makes (ICMP, RST, SYN-ACK): LOCAL_OUT, then ip_output.
    func ip_local_out(_ packet: [UInt8], dev: Interface?, nextHop: IPv4Address) {
        let f = trace.enter("ip_local_out"); defer { trace.leave(f) }
        counters.inc("IpOutRequests")
        let g = trace.enter("__ip_local_out"); defer { trace.leave(g) }
        NF_HOOK(.localOut) {
            let h = trace.enter("dst_output"); defer { trace.leave(h) }
            ip_output(packet, dev: dev, nextHop: nextHop, forwarded: false)
        }
    }

    func ip_output(_ packet: [UInt8], dev: Interface?, nextHop: IPv4Address, forwarded: Bool) {
        let f = trace.enter("ip_output"); defer { trace.leave(f) }
        counters.inc("IpOutTransmits")
        counters.inc("IpExtOutOctets", by: packet.count)
        NF_HOOK(.postRouting) {
            let g = trace.enter("ip_finish_output"); defer { trace.leave(g) }
            let h = trace.enter("__ip_finish_output"); defer { trace.leave(h) }
            ip_finish_output2(packet, dev: dev, nextHop: nextHop)
        }
    }

    func ip_finish_output2(_ packet: [UInt8], dev: Interface?, nextHop: IPv4Address) {
        let f = trace.enter("ip_finish_output2"); defer { trace.leave(f) }
        guard let dev else { return }
        let n = trace.enter("neigh_output"); defer { trace.leave(n) }
        if let mac = neighbours[NeighbourKey(device: dev.name, address: nextHop)] {
            let h = trace.enter("neigh_hh_output"); defer { trace.leave(h) }
            let frame = EthernetHeader(destination: mac, source: dev.mac ?? .zero, etherType: .ipv4).emit(payload: packet)
            dev_queue_xmit(frame, dev: dev)
        } else {
            // No neighbour: neigh_resolve_output queues the packet and sends an ARP request.
            let r = trace.enter("neigh_resolve_output"); defer { trace.leave(r) }
            let src = dev.primaryIPv4 ?? .any
            let req = ARPHeader(operation: .request, senderHardwareAddress: dev.mac ?? .zero, senderProtocolAddress: src,
                                targetHardwareAddress: .zero, targetProtocolAddress: nextHop).emit()
            let frame = EthernetHeader(destination: .broadcast, source: dev.mac ?? .zero, etherType: .arp).emit(payload: req)
            emitting("ARP request for \(nextHop): the packet waits in the neighbour queue") { arp_send(frame, dev: dev) }
        }
    }

    func arp_send(_ frame: [UInt8], dev: Interface) {
        let f = trace.enter("arp_send_dst"); defer { trace.leave(f) }
        dev_queue_xmit(frame, dev: dev)
    }

    /// Runs `body` for a packet this host makes (a reply, an ARP request): the hooks it crosses
    /// and the frames it puts on the wire are labelled `what`.
    func emitting(_ what: String, _ body: () -> Void) {
        let outer = emittingPacket
        emittingPacket = what
        body()
        emittingPacket = outer
    }

    func dev_queue_xmit(_ frame: [UInt8], dev: Interface) {
        let f = trace.enter("dev_queue_xmit"); defer { trace.leave(f) }
        let g = trace.enter("__dev_queue_xmit"); defer { trace.leave(g) }
        let drv = driver(of: dev)
        if drv == .e1000 {
            // pfifo_fast: __dev_xmit_skb → sch_direct_xmit (the seed notes' transmit backtrace).
            let q = trace.enter("__dev_xmit_skb"); defer { trace.leave(q) }
            let s = trace.enter("sch_direct_xmit"); defer { trace.leave(s) }
            dev_hard_start_xmit(frame, dev: dev, driver: drv)
        } else {
            dev_hard_start_xmit(frame, dev: dev, driver: drv)  // noqueue
        }
    }

    func dev_hard_start_xmit(_ frame: [UInt8], dev: Interface, driver: DriverKind) {
        let f = trace.enter("dev_hard_start_xmit"); defer { trace.leave(f) }
        let g = trace.enter(driver == .e1000 ? "e1000_xmit_frame" : "veth_xmit"); trace.leave(g)
        emitted.append(EmittedFrame(iface: dev.name, bytes: frame, why: emittingPacket ?? "forwarded"))
    }

    /// The output route for a packet this host makes (ip_route_output_key): device, next hop
    /// and the source address the route prefers.
    func ip_route_output(daddr: IPv4Address, saddr: IPv4Address?, tos: UInt8, proto: UInt8) -> (dev: Interface, nextHop: IPv4Address, source: IPv4Address)? {
        let f = trace.enter("ip_route_output_key"); defer { trace.leave(f) }
        let lo = host.interfaces.first { $0.isLoopback }
        guard case .success(let res) = fib_lookup(Flow(source: saddr ?? .any, destination: daddr, iif: lo, oif: nil, tos: tos & 0x1c, proto: proto)),
              res.route.type == .unicast || res.route.type == .local,
              let devName = res.route.device, let dev = host.interface(named: devName) else { return nil }
        var hop = daddr
        if case .v4(let g)? = res.route.gateway { hop = g }
        var src = saddr ?? dev.primaryIPv4 ?? .any
        if saddr == nil, case .v4(let p)? = res.route.preferredSource { src = p }
        return (dev, hop, src)
    }
}
