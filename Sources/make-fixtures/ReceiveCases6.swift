// The IPv6 receive-path cases (issue 14): addressed to the host of Fixtures/hosts/netns-h6 (eth0
// 02:00:00:00:00:01 2001:db8:1::2/64 and fe80::ff:fe00:1, peer 2001:db8:1::1 at
// 02:00:00:00:00:fe; eth1 2001:db8:2::2/64 MTU 1400; IPv6 forwarding on; blackhole, unreachable and
// prohibit routes for 2001:db8:66::/48, :67::/48, :68::/48; UDP *:5353 (dual stack), TCP
// [2001:db8:1::2]:80; inet filter drops UDP port 9). Made by Fixtures/scripts/capture-netns6.sh.
import Foundation
import Wire

func receiveCases6() -> [ReceiveCase] {
    let h = IPv6Address("2001:db8:1::2")!, p = IPv6Address("2001:db8:1::1")!
    let hLL = IPv6Address("fe80::ff:fe00:1")!, pLL = IPv6Address("fe80::ff:fe00:fe")!
    let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01), peerMAC = MACAddress(0x02, 0, 0, 0, 0, 0xfe)
    let data = Array("hello kernel".utf8)

    func eth(_ ip: [UInt8], to: MACAddress = hostMAC) -> [UInt8] {
        EthernetHeader(destination: to, source: peerMAC, etherType: .ipv6).emit(payload: ip)
    }
    func udp(_ src: IPv6Address = p, dst: IPv6Address = h, dport: UInt16, hopLimit: UInt8 = 64, zeroChecksum: Bool = false) -> [UInt8] {
        let ip = IPv6Header(source: src, destination: dst, nextHeader: .udp, hopLimit: hopLimit)
        var u = UDPHeader(sourcePort: 40000, destinationPort: dport).emit(payload: data, pseudoHeader: ip.pseudoHeaderSum)
        if zeroChecksum { u[6] = 0; u[7] = 0 }
        return ip.emit(payload: u)
    }
    func icmp(_ type: UInt8, code: UInt8 = 0, rest: UInt32 = 0, body: [UInt8], src: IPv6Address = p, dst: IPv6Address = h,
              hopLimit: UInt8 = 64, corrupt: Bool = false) -> [UInt8] {
        let ip = IPv6Header(source: src, destination: dst, nextHeader: .icmpv6, hopLimit: hopLimit)
        var m = ICMPv6Header(type: type, code: code, restOfHeader: rest).emit(body: body, ip: ip)
        if corrupt { m[2] ^= 0x55 }
        return ip.emit(payload: m)
    }
    let echoBody = [UInt8](0..<56)
    func ns(target: IPv6Address, from src: IPv6Address = p, hopLimit: UInt8 = 255) -> [UInt8] {
        icmp(135, body: target.bytes + [1, 1] + peerMAC.bytes, src: src, dst: target.solicitedNode, hopLimit: hopLimit)
    }
    func syn(dport: UInt16, flags: TCPFlags = .syn, seq: UInt32 = 1000) -> [UInt8] {
        let ip = IPv6Header(source: p, destination: h, nextHeader: .tcp)
        let t = TCPHeader(sourcePort: 40001, destinationPort: dport, sequenceNumber: seq, ackNumber: flags.contains(.ack) ? 5000 : 0,
                          flags: flags, window: 64800,
                          options: flags.contains(.syn) ? [.maxSegmentSize(1440), .sackPermitted, .timestamp(value: 1, echo: 0), .noOperation, .windowScale(7)] : [])
        return ip.emit(payload: t.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum))
    }
    /// A UDP datagram behind one extension header of `type` (`body`: its bytes after the two
    /// first, padded by the caller to a multiple of 8 less 2).
    func behind(_ type: UInt8, _ body: [UInt8], dport: UInt16 = 5353, dst: IPv6Address = h) -> [UInt8] {
        let inner = IPv6Header(source: p, destination: dst, nextHeader: .udp)
        let u = UDPHeader(sourcePort: 40000, destinationPort: dport).emit(payload: data, pseudoHeader: inner.pseudoHeaderSum)
        let ext = [17, UInt8((body.count + 2) / 8 - 1)] + body
        var ip = IPv6Header(source: p, destination: dst, nextHeader: .udp)
        ip.nextHeader = type
        return ip.emit(payload: ext + u)
    }
    let pmcast = MACAddress(0x33, 0x33, 0xff, 0x00, 0x00, 0x02)
    /// An MLDv2 general query as a router sends it: from its link-local address, hop limit 1,
    /// behind a hop-by-hop header with the Router Alert option (MLD).
    func mldQuery() -> [UInt8] {
        let ip = IPv6Header(source: pLL, destination: .allNodes, nextHeader: .icmpv6, hopLimit: 1)
        let m = ICMPv6Header(type: 130, code: 0, restOfHeader: 0x2710_0000).emit(body: [UInt8](repeating: 0, count: 16) + [0, 0x7d, 0, 0], ip: ip)
        var outer = IPv6Header(source: pLL, destination: .allNodes, nextHeader: .icmpv6, hopLimit: 1)
        outer.nextHeader = 0
        return outer.emit(payload: [58, 0, 5, 2, 0, 0, 1, 0] + m)
    }
    /// A 2000-byte UDP datagram to :5353 cut into fragments of `cuts` (offset, length, more),
    /// each behind a Fragment header with identification `id`.
    func fragments(_ cuts: [(offset: Int, length: Int, more: Bool)], id: UInt32) -> [[UInt8]] {
        let inner = IPv6Header(source: p, destination: h, nextHeader: .udp)
        let whole = UDPHeader(sourcePort: 40000, destinationPort: 5353)
            .emit(payload: [UInt8](repeating: 0x5a, count: 1992), pseudoHeader: inner.pseudoHeaderSum)
        return cuts.map { c in
            var ip = IPv6Header(source: p, destination: h, nextHeader: .udp)
            ip.nextHeader = 44
            let off = UInt16(c.offset) | (c.more ? 1 : 0)
            let fh: [UInt8] = [17, 0, UInt8(off >> 8), UInt8(off & 0xff), UInt8(id >> 24), UInt8((id >> 16) & 0xff), UInt8((id >> 8) & 0xff), UInt8(id & 0xff)]
            return eth(ip.emit(payload: fh + Array(whole[c.offset..<min(whole.count, c.offset + c.length)])))
        }
    }
    return [
        ReceiveCase(name: "ipv6-udp-delivered", frames: [eth(udp(dport: 5353))]),
        ReceiveCase(name: "ipv6-udp-closed-port", frames: [eth(udp(dport: 5354))]),
        // A closed port hit 10 times 10 µs apart: the first six get port unreachable, the rest
        // not (the peer's bucket: one per net.ipv6.icmp.ratelimit, 100 ms, a burst of 6).
        ReceiveCase(name: "ipv6-icmp-ratelimit-burst", frames: (0..<10).map { _ in eth(udp(dport: 5354)) }, spacingNanoseconds: 10_000),
        ReceiveCase(name: "ipv6-udp-zero-checksum", frames: [eth(udp(dport: 5353, zeroChecksum: true))]),
        ReceiveCase(name: "ipv6-nft-inet-drop", frames: [eth(udp(dport: 9))]),
        ReceiveCase(name: "ipv6-echo-global", frames: [eth(icmp(128, rest: 0x0007_0001, body: echoBody))]),
        ReceiveCase(name: "ipv6-echo-link-local", frames: [eth(icmp(128, rest: 0x0008_0001, body: echoBody, src: pLL, dst: hLL))]),
        ReceiveCase(name: "ipv6-icmp-bad-checksum", frames: [eth(icmp(128, rest: 0x0009_0001, body: echoBody, corrupt: true))]),
        ReceiveCase(name: "ipv6-ns-for-us", frames: [eth(ns(target: h), to: pmcast)]),
        ReceiveCase(name: "ipv6-ns-for-other", frames: [eth(ns(target: IPv6Address("2001:db8:1::99")!),
                                                            to: MACAddress(0x33, 0x33, 0xff, 0, 0, 0x99))]),
        ReceiveCase(name: "ipv6-ns-dad-for-us", frames: [eth(icmp(135, body: h.bytes, src: IPv6Address(high: 0, low: 0), dst: h.solicitedNode, hopLimit: 255), to: pmcast)]),
        ReceiveCase(name: "ipv6-na-unsolicited", frames: [eth(icmp(136, rest: 0x2000_0000, body: IPv6Address("2001:db8:1::77")!.bytes + [2, 1] + peerMAC.bytes,
                                                                   src: IPv6Address("2001:db8:1::77")!, dst: .allNodes, hopLimit: 255),
                                                              to: MACAddress(0x33, 0x33, 0, 0, 0, 1))]),
        ReceiveCase(name: "ipv6-rs-to-router", frames: [eth(icmp(133, body: [1, 1] + peerMAC.bytes, src: pLL, dst: .allRouters, hopLimit: 255),
                                                            to: MACAddress(0x33, 0x33, 0, 0, 0, 2))]),
        ReceiveCase(name: "ipv6-ra-to-router", frames: [eth(icmp(134, rest: 0x4000_0708, body: [0, 0, 0, 0, 0, 0, 0, 0] + [1, 1] + peerMAC.bytes,
                                                            src: pLL, dst: .allNodes, hopLimit: 255), to: MACAddress(0x33, 0x33, 0, 0, 0, 1))]),
        ReceiveCase(name: "ipv6-mld-query", frames: [eth(mldQuery(), to: MACAddress(0x33, 0x33, 0, 0, 0, 1))]),
        ReceiveCase(name: "ipv6-echo-to-all-nodes", frames: [eth(icmp(128, rest: 0x000a_0001, body: echoBody, dst: .allNodes),
                                                                 to: MACAddress(0x33, 0x33, 0, 0, 0, 1))]),
        ReceiveCase(name: "ipv6-ns-hop-limit", frames: [eth(ns(target: h, hopLimit: 64), to: pmcast)]),
        ReceiveCase(name: "ipv6-multicast-not-joined", frames: [eth(udp(dst: IPv6Address("ff02::1:2")!, dport: 5353),
                                                                    to: MACAddress(0x33, 0x33, 0, 1, 0, 2))]),
        ReceiveCase(name: "ipv6-forward", frames: [eth(udp(dst: IPv6Address("2001:db8:9::5")!, dport: 5353))]),
        ReceiveCase(name: "ipv6-forward-hop-limit-1", frames: [eth(udp(dst: IPv6Address("2001:db8:9::5")!, dport: 5353, hopLimit: 1))]),
        ReceiveCase(name: "ipv6-route-unreachable", frames: [eth(udp(dst: IPv6Address("2001:db8:67::1")!, dport: 5353))]),
        ReceiveCase(name: "ipv6-route-blackhole", frames: [eth(udp(dst: IPv6Address("2001:db8:66::1")!, dport: 5353))]),
        ReceiveCase(name: "ipv6-route-prohibit", frames: [eth(udp(dst: IPv6Address("2001:db8:68::1")!, dport: 5353))]),
        ReceiveCase(name: "ipv6-unknown-next-header", frames: [eth(IPv6Header(source: p, destination: h, nextHeader: .unknown(253)).emit(payload: data))]),
        ReceiveCase(name: "ipv6-hop-by-hop", frames: [eth(behind(0, [1, 4, 0, 0, 0, 0]))]),
        ReceiveCase(name: "ipv6-hop-by-hop-unknown-option", frames: [eth(behind(0, [0x85, 4, 0, 0, 0, 0]))]),
        ReceiveCase(name: "ipv6-routing-header-type0", frames: [eth(behind(43, [0, 1, 0, 0, 0, 0] + IPv6Address("2001:db8:1::7")!.bytes))]),
        ReceiveCase(name: "ipv6-routing-header-done", frames: [eth(behind(43, [0, 0, 0, 0, 0, 0] + IPv6Address("2001:db8:1::7")!.bytes))]),
        ReceiveCase(name: "ipv6-segment-routing-off", frames: [eth(behind(43, [4, 0, 0, 0, 0, 0] + IPv6Address("2001:db8:1::7")!.bytes))]),
        ReceiveCase(name: "ipv6-tcp-syn-listener", frames: [eth(syn(dport: 80))]),
        ReceiveCase(name: "ipv6-tcp-syn-closed-port", frames: [eth(syn(dport: 81))]),
        ReceiveCase(name: "ipv6-nft-ip6-reject", frames: [eth(syn(dport: 23))]),
        ReceiveCase(name: "ipv6-tcp-ack-to-listener", frames: [eth(syn(dport: 80, flags: .ack))]),
        // A request socket's segments (tcp_check_req, shared with IPv4): the exact RST, an
        // in-window one (challenge ACK, tcp_v6_reqsk_send_ack), the SYN again, a new SYN.
        ReceiveCase(name: "ipv6-tcp-syn-then-rst", frames: [eth(syn(dport: 80)), eth(syn(dport: 80, flags: .rst, seq: 1001))]),
        ReceiveCase(name: "ipv6-tcp-syn-then-rst-in-window", frames: [eth(syn(dport: 80)), eth(syn(dport: 80, flags: .rst, seq: 1101))]),
        ReceiveCase(name: "ipv6-tcp-syn-retransmitted", frames: [eth(syn(dport: 80)), eth(syn(dport: 80))]),
        ReceiveCase(name: "ipv6-tcp-syn-then-new-syn", frames: [eth(syn(dport: 80)), eth(syn(dport: 80, seq: 1050))]),
        ReceiveCase(name: "ipv6-frag-in-order", frames: fragments([(0, 1232, true), (1232, 768, false)], id: 0x1001)),
        ReceiveCase(name: "ipv6-frag-out-of-order", frames: fragments([(1232, 768, false), (0, 1232, true)], id: 0x1002)),
        ReceiveCase(name: "ipv6-frag-overlap", frames: fragments([(0, 1232, true), (1224, 776, false)], id: 0x1003)),
        ReceiveCase(name: "ipv6-frag-atomic", frames: [eth(behind(44, [0, 0, 0, 0, 0x10, 0x04]))]),
        ReceiveCase(name: "ipv6-frag-not-multiple-of-8", frames: fragments([(0, 1230, true)], id: 0x1005)),
        ReceiveCase(name: "ipv6-truncated", frames: [eth(Array(udp(dport: 5353).dropLast(6)))]),
    ]
}

/// The same frames to Fixtures/hosts/netns-h6-host: the host with forwarding off.
func receiveCases6Host() -> [ReceiveCase] {
    let all = Dictionary(uniqueKeysWithValues: receiveCases6().map { ($0.name, $0.frames) })
    return [("ipv6-ra-to-router", "ipv6-host-ra"), ("ipv6-rs-to-router", "ipv6-host-rs"), ("ipv6-forward", "ipv6-host-forward-off"),
            ("ipv6-ns-for-us", "ipv6-host-ns-for-us"), ("ipv6-echo-global", "ipv6-host-echo")]
        .map { ReceiveCase(name: $0.1, frames: all[$0.0]!) }
}

func writeReceiveCases6(to dir: String) throws {
    for (cases, host, start) in [(receiveCases6(), "netns-h6", Int64(1_700_000_600)), (receiveCases6Host(), "netns-h6-host", Int64(1_700_000_650))] {
        try writeCases(cases, to: dir, start: start)
        for c in cases { try "\(host)\n".write(toFile: "\(dir)/\(c.name).host", atomically: true, encoding: .utf8) }
        print("wrote \(cases.count) IPv6 receive-path cases for \(host) to \(dir)")
    }
}
