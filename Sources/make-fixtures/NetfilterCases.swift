// The netfilter cases (issue 6): captures for the hosts Fixtures/hosts/netns-h-RULESET, which are
// netns-h with Fixtures/rulesets/RULESET.nft loaded (their nft.json was written by the real nft:
// Fixtures/scripts/nft-hosts.sh). Each case's NAME.host names its snapshot.
import Capture
import Foundation
import Wire

func netfilterCases() -> [(host: String, cases: [CaptureCase])] {
    let h = IPv4Address(10, 1, 0, 2), p = IPv4Address(10, 1, 0, 1)
    let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01), peerMAC = MACAddress(0x02, 0, 0, 0, 0, 0xfe)
    let data = Array("hello kernel".utf8)

    func eth(_ ip: [UInt8]) -> [UInt8] { EthernetHeader(destination: hostMAC, source: peerMAC, etherType: .ipv4).emit(payload: ip) }
    func udp(_ src: IPv4Address = p, dst: IPv4Address = h, dport: UInt16, ident: UInt16) -> [UInt8] {
        let ip = IPv4Header(source: src, destination: dst, protocol: .udp, ident: ident)
        return eth(ip.emit(payload: UDPHeader(sourcePort: 40000, destinationPort: dport).emit(payload: data, pseudoHeader: ip.pseudoHeaderSum)))
    }
    func tcp(_ flags: TCPFlags, dport: UInt16, seq: UInt32 = 1000, ack: UInt32 = 0, ident: UInt16) -> [UInt8] {
        let ip = IPv4Header(source: p, destination: h, protocol: .tcp, ident: ident)
        let t = TCPHeader(sourcePort: 40001, destinationPort: dport, sequenceNumber: seq, ackNumber: ack, flags: flags, window: 64240,
                          options: flags.contains(.syn) ? [.maxSegmentSize(1460), .sackPermitted, .noOperation, .windowScale(7)] : [])
        return eth(ip.emit(payload: t.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum)))
    }
    func icmp(_ message: ICMPv4Header, ident: UInt16) -> [UInt8] {
        eth(IPv4Header(source: p, destination: h, protocol: .icmp, ident: ident).emit(payload: message.emit(body: (0..<56).map { UInt8($0) })))
    }

    /// ICMP port unreachable from the peer, quoting a UDP datagram the host sent to `dport`.
    func portUnreachable(quoting dport: UInt16, ident: UInt16) -> [UInt8] {
        let quotedIP = IPv4Header(source: h, destination: p, protocol: .udp, ident: 0x7777)
        let quoted = quotedIP.emit(payload: UDPHeader(sourcePort: 5353, destinationPort: dport).emit(payload: data, pseudoHeader: quotedIP.pseudoHeaderSum))
        return eth(IPv4Header(source: p, destination: h, protocol: .icmp, ident: ident, dontFrag: false)
            .emit(payload: ICMPv4Header.unreachable(code: 3).emit(body: quoted)))
    }
    func seg(_ flags: TCPFlags, sport: UInt16 = 40002, dport: UInt16 = 80, seq: UInt32, ack: UInt32 = 0, payload: [UInt8] = [], ident: UInt16) -> [UInt8] {
        let ip = IPv4Header(source: p, destination: h, protocol: .tcp, ident: ident)
        let t = TCPHeader(sourcePort: sport, destinationPort: dport, sequenceNumber: seq, ackNumber: ack, flags: flags, window: 502,
                          options: flags.contains(.syn) ? [.maxSegmentSize(1460), .sackPermitted, .noOperation, .windowScale(7)] : [])
        return eth(ip.emit(payload: t.emit(payload: payload, pseudoHeader: ip.pseudoHeaderSum)))
    }

    /// A 3000-byte UDP datagram to `dst`, cut as a 1500-MTU link cuts it.
    func fragments(dst: IPv4Address, ident: UInt16) -> [[UInt8]] {
        let whole = UDPHeader(sourcePort: 40000, destinationPort: 5353)
            .emit(payload: (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }, pseudoHeader: IPv4Header(source: p, destination: dst, protocol: .udp).pseudoHeaderSum)
        return stride(from: 0, to: whole.count, by: 1480).map { off in
            let ip = IPv4Header(source: p, destination: dst, protocol: .udp, ident: ident, dontFrag: false, moreFrags: off + 1480 < whole.count, fragOffset: off)
            return eth(ip.emit(payload: Array(whole[off..<min(whole.count, off + 1480)])))
        }
    }

    let stateful = [
        // Conntrack reassembles before PRE_ROUTING: delivered whole; forwarded whole to the
        // 1400-byte MTU of eth1 and cut again, no larger than the fragments came.
        CaptureCase(name: "nft-stateful-fragments", frames: fragments(dst: h, ident: 0x6a01) + fragments(dst: IPv4Address(10, 2, 0, 1), ident: 0x6a02)),
        CaptureCase(name: "nft-stateful", frames: [
            seg(.syn, seq: 5000, ident: 0x6801),
            seg(.ack, seq: 5001, ack: 1, ident: 0x6802),
            seg([.psh, .ack], seq: 5001, ack: 1, payload: Array("GET / HTTP/1.0\r\n\r\n".utf8), ident: 0x6803),
            seg(.syn, sport: 40003, dport: 22, seq: 9000, ident: 0x6804),
            udp(dport: 5353, ident: 0x6805),
            portUnreachable(quoting: 40000, ident: 0x6806),
            portUnreachable(quoting: 40999, ident: 0x6807),
            icmp(.echoRequest(ident: 12, sequence: 1), ident: 0x6808),
        ]),
    ]
    // From the web server's side of eth1: its answers to connections the host masqueraded.
    let eth1MAC = MACAddress(0x02, 0, 0, 0, 0x01, 0x01), serverMAC = MACAddress(0x02, 0, 0, 0, 0x01, 0xfe)
    let server = IPv4Address(10, 2, 0, 1), routerEth1 = IPv4Address(10, 2, 0, 2)
    func fromServer(_ ip: [UInt8]) -> [UInt8] { EthernetHeader(destination: eth1MAC, source: serverMAC, etherType: .ipv4).emit(payload: ip) }
    let udpReply: [UInt8] = {
        let ip = IPv4Header(source: server, destination: routerEth1, protocol: .udp, ident: 0x6903)
        return fromServer(ip.emit(payload: UDPHeader(sourcePort: 5353, destinationPort: 40000).emit(payload: data, pseudoHeader: ip.pseudoHeaderSum)))
    }()
    let nat = [
        CaptureCase(name: "nft-nat", frames: [
            tcp(.syn, dport: 8080, ident: 0x6901),                       // DNAT to 10.2.0.1:80, forwarded, masqueraded
            udp(dst: server, dport: 5353, ident: 0x6902),                 // forwarded, masqueraded
            udpReply,                                                     // its answer, de-masqueraded to 10.1.0.1
            udp(dport: 5300, ident: 0x6904),                              // redirected to the local 5353
        ]),
    ]
    let filter = [
        CaptureCase(name: "nft-drop", frames: [tcp(.syn, dport: 23, ident: 0x6001)]),
        CaptureCase(name: "nft-reject-tcp-reset", frames: [tcp(.syn, dport: 25, ident: 0x6101)]),
        CaptureCase(name: "nft-reject-icmp", frames: [udp(dport: 9, ident: 0x6201), udp(dport: 7, ident: 0x6202)]),
        CaptureCase(name: "nft-named-set", frames: [
            udp(IPv4Address(10, 1, 0, 66), dport: 5353, ident: 0x6301),
            udp(IPv4Address(10, 1, 0, 97), dport: 5353, ident: 0x6302),
            udp(IPv4Address(10, 1, 0, 100), dport: 5353, ident: 0x6303),
        ]),
        CaptureCase(name: "nft-jump-return", frames: [
            icmp(.echoRequest(ident: 11, sequence: 1), ident: 0x6401),
            icmp(ICMPv4Header(type: 13, code: 0), ident: 0x6402),
        ]),
        CaptureCase(name: "nft-prerouting-raw", frames: [udp(IPv4Address(10, 1, 0, 13), dport: 5353, ident: 0x6501)]),
        CaptureCase(name: "nft-forward", frames: [
            udp(dst: IPv4Address(10, 2, 0, 1), dport: 5353, ident: 0x6601),
            udp(dst: IPv4Address(10, 2, 0, 1), dport: 5354, ident: 0x6602),
        ]),
        CaptureCase(name: "nft-tcp-flags", frames: [tcp(.syn, dport: 8080, ident: 0x6701), tcp(.ack, dport: 8080, seq: 2000, ack: 3000, ident: 0x6702)]),
    ]
    // The same frames against the iptables version of the filter ruleset (ipt-filter.iptables).
    let iptables = filter.map { CaptureCase(name: "ipt-" + $0.name.dropFirst("nft-".count), frames: $0.frames) }
    return [("netns-h-nft-filter", filter), ("netns-h-nft-stateful", stateful), ("netns-h-nft-nat", nat), ("netns-h-ipt-filter", iptables)]
}

func writeNetfilterCases(to dir: String) throws {
    for (host, cases) in netfilterCases() {
        try writeCases(cases, to: dir, start: 1_700_000_300)
        for c in cases { try "\(host)\n".write(toFile: "\(dir)/\(c.name).host", atomically: true, encoding: .utf8) }
        print("wrote \(cases.count) netfilter cases for \(host) to \(dir)")
    }
}
