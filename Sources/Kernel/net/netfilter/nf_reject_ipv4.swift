// net/ipv4/netfilter/nf_reject_ipv4.c, net/netfilter/nft_reject_inet.c, net/ipv4/netfilter/
// nft_reject_ipv4.c — modelled: 6.18. The `reject` statement answers the packet, then its
// verdict is NF_DROP (the packet itself ends in nf_hook_slow as NETFILTER_DROP):
//   icmp / icmpx → nf_send_unreach → icmp_send (no answer to a non-first fragment)
//   tcp reset    → nf_send_reset: a RST built from the segment (no RST for a RST, none to a
//                  broadcast route), routed by ip_route_me_harder, sent by ip_local_out
import HostModel
import Wire

extension Kernel {
    func nft_reject_eval(_ reject: NFReject, _ pkt: NFTPacket, family: NFFamily) {
        let f = trace.enter(family == .inet ? .nft_reject_inet_eval : .nft_reject_ipv4_eval); defer { trace.leave(f) }
        // A packet the host makes itself (an answer passing LOCAL_OUT) is only dropped here.
        guard let skb = pkt.skb, emittingPacket == nil else { return }
        switch reject {
        case .icmp(let code): nf_send_unreach(skb, code: code)
        case .tcpReset: nf_send_reset(skb, pkt)
        }
    }

    func nf_send_unreach(_ skb: SKB, code: UInt8) {
        let f = trace.enter(.nf_send_unreach); defer { trace.leave(f) }
        guard skb.withIPv4({ $0.fragOffset }) == 0 else { return }
        icmp_send(skb, type: 3, code: code, info: 0)
    }

    func nf_send_reset(_ skb: SKB, _ pkt: NFTPacket) {
        let f = trace.enter(.nf_send_reset); defer { trace.leave(f) }
        // nf_reject_ip_tcphdr_get: not a fragment, TCP, a whole header, no RST.
        guard pkt.proto == 6, let th = pkt.transportOffset, th + 20 <= pkt.bytes.count,
              pkt.bytes[th + 13] & 0x04 == 0, skb.dst?.isBroadcast != true else { return }
        let rst = nf_reject_tcp_header(pkt, th)
        let src = IPv4Address(UInt32(pkt.be(12, 4) ?? 0)), dst = IPv4Address(UInt32(pkt.be(16, 4) ?? 0))
        // nf_reject_iphdr_put: TOS 0, ID 0, DF, the TTL of the received packet's route.
        let ip = IPv4Header(source: dst, destination: src, protocol: .tcp,
                            ttl: defaultTTL, ident: 0, dontFrag: true)
        // ip_route_me_harder: the type of the new source, then the output route.
        let g = trace.enter(.ip_route_me_harder)
        inet_addr_type(dst)
        let route = ip_route_output(daddr: src, saddr: dst, tos: 0, proto: 6)
        trace.leave(g)
        guard let out = route else { return }
        emitting("TCP RST (reject)") {
            ip_local_out(ip.emit(payload: rst.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum)), dev: out.dev, nextHop: out.nextHop)
        }
    }
}

extension Kernel {
    /// nf_reject_ip_tcphdr_put / nf_reject_ip6_tcphdr_put: the RST answering the segment at `th`
    /// — RST with its ack number as sequence when it had ACK, else RST|ACK acknowledging it.
    func nf_reject_tcp_header(_ pkt: NFTPacket, _ th: Int) -> TCPHeader {
        let b = pkt.bytes
        let sport = UInt16(b[th]) << 8 | UInt16(b[th + 1]), dport = UInt16(b[th + 2]) << 8 | UInt16(b[th + 3])
        let seq = UInt32(pkt.be(th + 4, 4) ?? 0), ackSeq = UInt32(pkt.be(th + 8, 4) ?? 0)
        let flags = b[th + 13], doff = Int(b[th + 12] >> 4) * 4
        if flags & 0x10 != 0 {
            return TCPHeader(sourcePort: dport, destinationPort: sport, sequenceNumber: ackSeq, flags: .rst, window: 0)
        }
        let consumed = UInt32(b.count - th - doff) + UInt32(flags & 0x02 != 0 ? 1 : 0) + UInt32(flags & 0x01 != 0 ? 1 : 0)
        return TCPHeader(sourcePort: dport, destinationPort: sport, sequenceNumber: 0, ackNumber: seq &+ consumed, flags: [.rst, .ack], window: 0)
    }
}
