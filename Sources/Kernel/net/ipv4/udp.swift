// net/ipv4/udp.c — modelled: 6.18 (checked: delivered, closed port, bad checksum, broadcast),
// 5.4. UdpInDatagrams is counted when the application reads (udp_recvmsg), not here.
import HostModel
import Wire

extension Kernel {
    func __udp4_lib_rcv(_ skb: SKB) {
        let f = trace.enter("__udp4_lib_rcv"); defer { trace.leave(f) }
        let (src, dst, payload, pseudo) = skb.withIPv4 { ($0.source, $0.destination, Array($0.payload), $0.pseudoHeaderSum(length: $0.payload.count)) }
        guard payload.count >= 8 else {
            counters.inc("UdpInErrors")
            kfree_skb_reason("PKT_TOO_SMALL", detail: "\(payload.count) bytes: shorter than a UDP header")
            return
        }
        let (sport, dport, ulen, check) = payload.withUnsafeBytes { b -> (UInt16, UInt16, Int, UInt16) in
            let u = UDPDatagram.parse(b).value!
            return (u.sourcePort, u.destinationPort, Int(u.length), u.checksum)
        }
        if ulen > payload.count || ulen < 8 {
            counters.inc("UdpInErrors")
            kfree_skb_reason("PKT_TOO_SMALL", detail: "UDP length \(ulen) does not fit the \(payload.count)-byte payload")
            return
        }
        let csumOK = check == 0 || payload.prefix(ulen).withUnsafeBytes { InternetChecksum.verifies($0, initial: pseudo - UInt64(payload.count) + UInt64(ulen)) }
        if skb.dst?.isBroadcast == true || dst.isMulticast {
            let g = trace.enter("__udp4_lib_mcast_deliver"); defer { trace.leave(g) }
            if let s = udp_lookup(dst: dst, dport: dport, dev: skb.dev), csumOK {
                socketDescription = s
                handedOff(.deliver, function: "__udp4_lib_mcast_deliver", detail: "broadcast datagram queued to \(s)")
            } else {
                counters.inc("UdpIgnoredMulti")
                kfree_skb_reason("NOT_SPECIFIED", detail: "broadcast datagram to port \(dport): no socket (no ICMP for broadcasts)")
            }
            return
        }
        let sk = udp_lookup(dst: dst, dport: dport, dev: skb.dev)
        if !csumOK {
            counters.inc("UdpInCsumErrors")
            counters.inc("UdpInErrors")
            kfree_skb_reason("UDP_CSUM", detail: "bad UDP checksum 0x\(String(check, radix: 16))")
            return
        }
        if let sk {
            socketDescription = sk
            let g = trace.enter("udp_unicast_rcv_skb"); defer { trace.leave(g) }
            let h = trace.enter("udp_queue_rcv_skb"); defer { trace.leave(h) }
            handedOff(.deliver, function: "__udp_enqueue_schedule_skb", detail: "queued to \(sk) (\(ulen - 8) bytes from \(src):\(sport))")
            return
        }
        counters.inc("UdpNoPorts")
        icmp_send(skb, type: 3, code: 3, info: 0)
        kfree_skb_reason("NO_SOCKET", detail: "no socket on UDP port \(dport): ICMP port unreachable")
    }

    /// The socket a datagram to dst:dport goes to: an exact local address or the wildcard,
    /// unconnected (ss state UNCONN), and bound to the arrival device if bound at all.
    func udp_lookup(dst: IPv4Address, dport: UInt16, dev: Interface) -> String? {
        let candidates = host.sockets.filter { s in
            s.protocolKind == .udp && s.localPort == dport && (s.boundDevice == nil || s.boundDevice == dev.name)
                && (s.localAddress == nil || s.localAddress == .v4(dst)) && s.state == "UNCONN"
        }
        let best = candidates.first { $0.localAddress != nil } ?? candidates.first
        return best.map { "udp \($0.localAddress?.description ?? "0.0.0.0"):\($0.localPort)" }
    }
}
