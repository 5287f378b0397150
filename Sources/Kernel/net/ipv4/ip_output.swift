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

    func ip_output(_ packet: [UInt8], dev: Interface?, nextHop: IPv4Address, forwarded: Bool, mtu: Int? = nil) {
        let f = trace.enter("ip_output"); defer { trace.leave(f) }
        NF_HOOK(.postRouting) {
            let g = trace.enter("ip_finish_output"); defer { trace.leave(g) }
            let h = trace.enter("__ip_finish_output"); defer { trace.leave(h) }
            let limit = mtu ?? dev?.mtu ?? 1500
            if packet.count > limit {
                ip_fragment(packet, mtu: limit, dev: dev, nextHop: nextHop)
            } else {
                ip_finish_output2(packet, dev: dev, nextHop: nextHop)
            }
        }
    }

    /// ip_fragment: a packet over the MTU. With DF it cannot be cut (ICMP fragmentation needed
    /// to the sender); without, ip_do_fragment cuts it.
    func ip_fragment(_ packet: [UInt8], mtu: Int, dev: Interface?, nextHop: IPv4Address) {
        let f = trace.enter("ip_fragment"); defer { trace.leave(f) }
        if packet[6] & 0x40 != 0 {
            counters.inc("IpFragFails")
            kfree_skb_reason("NOT_SPECIFIED", detail: "\(packet.count) bytes with DF over the \(mtu)-byte MTU: cannot fragment")
            return
        }
        ip_do_fragment(packet, mtu: mtu, dev: dev, nextHop: nextHop)
    }

    /// ip_do_fragment (slow path): fragments of (MTU − header) & ~7 bytes at their offsets; MF on
    /// all but the last unless the packet was itself a non-last fragment; options a fragment
    /// must not carry (not "copied") become NOPs after the first (ip_options_fragment).
    func ip_do_fragment(_ packet: [UInt8], mtu: Int, dev: Interface?, nextHop: IPv4Address) {
        let f = trace.enter("ip_do_fragment"); defer { trace.leave(f) }
        let hlen = Int(packet[0] & 0x0f) * 4
        let origOffset = (Int(packet[6] & 0x1f) << 8 | Int(packet[7])) * 8
        let origMore = packet[6] & 0x20 != 0
        let data = Array(packet[hlen...])
        let step = (mtu - hlen) & ~7
        var laterHeader = Array(packet[..<hlen])
        if hlen > 20 {
            var i = 20
            while i < hlen {
                let t = laterHeader[i]
                if t == 0 { break }
                if t == 1 { i += 1; continue }
                let len = i + 1 < hlen ? max(2, Int(laterHeader[i + 1])) : 1
                if t & 0x80 == 0 { for j in i..<min(hlen, i + len) { laterHeader[j] = 1 } }
                i += len
            }
        }
        var pos = 0
        var pieces = 0
        while pos < data.count {
            let len = min(step, data.count - pos)
            var h = pos == 0 ? Array(packet[..<hlen]) : laterHeader
            let more = pos + len < data.count || origMore
            let off = (origOffset + pos) / 8
            let total = hlen + len
            h[2] = UInt8(total >> 8); h[3] = UInt8(total & 0xff)
            h[6] = (h[6] & 0x40) | (more ? 0x20 : 0) | UInt8((off >> 8) & 0x1f)
            h[7] = UInt8(off & 0xff)
            h[10] = 0; h[11] = 0
            let c = h.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
            h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xff)
            counters.inc("IpFragCreates")
            ip_finish_output2(h + data[pos..<(pos + len)], dev: dev, nextHop: nextHop)
            pos += len
            pieces += 1
        }
        counters.inc("IpFragOKs")
        let name = "\(IPv4Address(UInt32(packet[12]) << 24 | UInt32(packet[13]) << 16 | UInt32(packet[14]) << 8 | UInt32(packet[15]))) > "
            + "\(IPv4Address(UInt32(packet[16]) << 24 | UInt32(packet[17]) << 16 | UInt32(packet[18]) << 8 | UInt32(packet[19]))) id 0x"
            + String(UInt16(packet[4]) << 8 | UInt16(packet[5]), radix: 16)
        fragmentReport = FragmentReport(datagram: name, offset: origOffset, length: data.count, more: origMore,
                                        outcome: "fragmented", detail: "cut into \(pieces) fragments of at most \(step) bytes for the \(mtu)-byte MTU of \(dev?.name ?? "?")")
        sideEnd("consume_skb", reason: nil)
    }

    func ip_finish_output2(_ packet: [UInt8], dev: Interface?, nextHop: IPv4Address) {
        let f = trace.enter("ip_finish_output2"); defer { trace.leave(f) }
        guard let dev else { return }
        counters.inc("IpOutTransmits")
        counters.inc("IpExtOutOctets", by: packet.count)
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
