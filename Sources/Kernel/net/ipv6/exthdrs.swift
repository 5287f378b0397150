// net/ipv6/exthdrs.c — the extension headers on receive (6.18, 5.4):
//   ipv6_parse_hopopts (from ip6_rcv_core) → ip6_parse_tlv: Pad1, PadN, Router Alert, and an
//     unknown option by its two high bits (skip / discard / parameter problem / parameter
//     problem unless multicast);
//   ipv6_rthdr_rcv (routing header): segments left 0 → the next header; else by type — type 0
//     is refused as RFC 5095 has it (parameter problem at the type field);
//   ipv6_destopt_rcv (destination options): ip6_parse_tlv as for hop-by-hop.
import HostModel
import Wire

extension Kernel {
    /// False: dropped (the caller counts Ip6InHdrErrors).
    func ipv6_parse_hopopts(_ skb: SKB) -> Bool {
        let f = trace.enter(.ipv6_parse_hopopts); defer { trace.leave(f) }
        let at = 40
        guard skb.length >= at + 8 else {
            kfree_skb_reason("PKT_TOO_SMALL", detail: "a hop-by-hop header cut short")
            return false
        }
        let len = (Int(skb.frame[skb.networkOffset + at + 1]) + 1) * 8
        guard skb.length >= at + len else {
            kfree_skb_reason("PKT_TOO_SMALL", detail: "a hop-by-hop header of \(len) bytes runs past the packet")
            return false
        }
        skb.ip6cb.hop = at
        guard ip6_parse_tlv(skb, header: at, length: len, hopByHop: true) else { return false }
        skb.ip6cb.nhoff = at
        skb.ip6cb.transport = at + len
        return true
    }

    /// The options of a hop-by-hop or destination options header. False: dropped.
    func ip6_parse_tlv(_ skb: SKB, header: Int, length: Int, hopByHop: Bool) -> Bool {
        let f = trace.enter(.ip6_parse_tlv); defer { trace.leave(f) }
        var off = header + 2
        let end = header + length
        let base = skb.networkOffset
        while off < end {
            let type = skb.frame[base + off]
            if type == 0 { off += 1; continue }   // Pad1
            guard off + 2 <= end else { break }
            let optlen = Int(skb.frame[base + off + 1]) + 2
            guard off + optlen <= end else { break }
            switch type {
            case 1: break   // PadN
            case 5 where hopByHop && optlen == 4:   // Router Alert
                skb.ip6cb.ra = UInt16(skb.frame[base + off + 2]) << 8 | UInt16(skb.frame[base + off + 3])
            default:
                // ip6_tlvopt_unknown: the two high bits of the type say what to do.
                let u = trace.enter(.ip6_tlvopt_unknown); defer { trace.leave(u) }
                let dst = skb.withIPv6 { $0.destination }
                switch type >> 6 {
                case 0: break
                case 1:
                    kfree_skb_reason("UNHANDLED_PROTO", detail: "unknown option \(type) (action 01: discard)")
                    return false
                case 3 where dst.isMulticast:
                    kfree_skb_reason("UNHANDLED_PROTO", detail: "unknown option \(type) to multicast (action 11: discard)")
                    return false
                default:
                    icmpv6_param_prob(skb, code: 2, pointer: off)
                    kfree_skb_reason("UNHANDLED_PROTO", detail: "unknown option \(type) at offset \(off): ICMPv6 parameter problem (unrecognised option)")
                    return false
                }
            }
            off += optlen
        }
        if off != end {
            kfree_skb_reason("IP_INHDR", detail: "options that do not fill the header")
            return false
        }
        return true
    }

    /// The header at `transport` is `length` bytes (in 8-byte units + 1) and its first byte the
    /// next header: the walk goes on after it.
    private func nextExtension(_ skb: SKB) -> (at: Int, length: Int)? {
        let at = skb.ip6cb.transport
        guard skb.length >= at + 8 else { return nil }
        let len = (Int(skb.frame[skb.networkOffset + at + 1]) + 1) * 8
        guard skb.length >= at + len else { return nil }
        return (at, len)
    }

    /// ipv6_rthdr_rcv: the next header when the routing header is done with (segments left 0).
    func ipv6_rthdr_rcv(_ skb: SKB) -> UInt8? {
        let f = trace.enter(.ipv6_rthdr_rcv); defer { trace.leave(f) }
        guard let (at, len) = nextExtension(skb) else {
            counters.inc(.Ip6InHdrErrors)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "a routing header cut short")
            return nil
        }
        let base = skb.networkOffset + at
        let type = skb.frame[base + 2], segmentsLeft = skb.frame[base + 3]
        let dst = skb.withIPv6 { $0.destination }
        if dst.isMulticast || skb.pktType != .host {
            counters.inc(.Ip6InAddrErrors)
            kfree_skb_reason("IP_INADDRERRORS", detail: "a routing header in a packet to \(dst)")
            return nil
        }
        if type == 4 {
            // ipv6_srh_rcv: segment routing, off unless seg6_enabled (0 by default).
            kfree_skb_reason("NOT_SPECIFIED", detail: "a segment routing header and seg6_enabled 0 on \(skb.dev.name)")
            return nil
        }
        if segmentsLeft == 0 {
            skb.ip6cb.nhoff = at
            skb.ip6cb.transport = at + len
            return skb.frame[base]
        }
        // Types 0 (RFC 5095) and others not configured: parameter problem at the type field.
        counters.inc(.Ip6InHdrErrors)
        icmpv6_param_prob(skb, code: 0, pointer: at + 2)
        // icmpv6_param_prob frees it: kfree_skb_reason(NOT_SPECIFIED).
        kfree_skb_reason("NOT_SPECIFIED", detail: "routing header type \(type) with \(segmentsLeft) segments left: ICMPv6 parameter problem at its type")
        return nil
    }

    /// ipv6_destopt_rcv.
    func ipv6_destopt_rcv(_ skb: SKB) -> UInt8? {
        let f = trace.enter(.ipv6_destopt_rcv); defer { trace.leave(f) }
        guard let (at, len) = nextExtension(skb) else {
            counters.inc(.Ip6InHdrErrors)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "a destination options header cut short")
            return nil
        }
        guard ip6_parse_tlv(skb, header: at, length: len, hopByHop: false) else {
            counters.inc(.Ip6InHdrErrors)
            return nil
        }
        skb.ip6cb.nhoff = at
        skb.ip6cb.transport = at + len
        return skb.frame[skb.networkOffset + at]
    }
}
