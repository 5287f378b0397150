// net/ipv6/netfilter/nf_reject_ipv6.c, net/ipv6/netfilter/nft_reject_ipv6.c — modelled: 6.18.
// `reject` on IPv6: its answer, then NF_DROP (as IPv4's, nf_reject_ipv4.swift):
//   icmp / icmpx → nf_send_unreach6 → icmpv6_send (the ICMPv6 code of the IPv4 one asked for)
//   tcp reset    → nf_send_reset6: a RST built from the segment (none for a RST), routed by
//                  ip6_route_output, its hop limit the route's, sent by ip6_local_out.
import HostModel
import Wire

extension Kernel {
    func nft_reject_eval6(_ reject: NFReject, _ pkt: NFTPacket, family: NFFamily) {
        let f = trace.enter(family == .inet ? .nft_reject_inet_eval : .nft_reject_ipv6_eval); defer { trace.leave(f) }
        guard let skb = pkt.skb, emittingPacket == nil else { return }
        switch reject {
        case .icmp(let code): nf_send_unreach6(skb, code: Self.icmpv6Code(forIPv4: code))
        case .tcpReset: nf_send_reset6(skb, pkt)
        }
    }

    /// icmpx / IPv4 unreachable codes as ICMPv6's (nft_reject_icmpx_code's table).
    static func icmpv6Code(forIPv4 code: UInt8) -> UInt8 {
        switch code {
        case 0: 0          // no route
        case 1: 3          // host → address unreachable
        case 3: 4          // port
        case 9, 10, 13: 1  // administratively prohibited
        default: 4
        }
    }

    func nf_send_unreach6(_ skb: SKB, code: UInt8) {
        let f = trace.enter(.nf_send_unreach6); defer { trace.leave(f) }
        icmpv6_send(skb, type: 1, code: code, info: 0)
    }

    func nf_send_reset6(_ skb: SKB, _ pkt: NFTPacket) {
        let f = trace.enter(.nf_send_reset6); defer { trace.leave(f) }
        guard pkt.proto == 6, let th = pkt.transportOffset, th + 20 <= pkt.bytes.count, pkt.bytes[th + 13] & 0x04 == 0 else { return }
        let rst = nf_reject_tcp_header(pkt, th)
        let (src, dst) = pkt.bytes.withUnsafeBytes { (IPv6Address($0, at: 8), IPv6Address($0, at: 24)) }
        guard let out = ip6_route_output(daddr: src, saddr: dst, oif: src.isLinkLocal ? skb.dev : nil, proto: 6), let dev = out.route.dev else { return }
        let ip = IPv6Header(source: dst, destination: src, nextHeader: .tcp, hopLimit: net.ipv6.idev(dev)?.hopLimit ?? 64)
        let packet = ip.emit(payload: rst.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum))
        emitting("TCP RST (reject)") { ip6_local_out(OutputSKB6(packet: packet, dev: dev, nextHop: out.route.nextHop ?? src)) }
    }
}
