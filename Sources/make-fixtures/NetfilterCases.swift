// The netfilter cases (issue 6): captures for the host of Fixtures/hosts/netns-h-nft-filter, which is
// netns-h with the ruleset Fixtures/rulesets/nft-filter.nft loaded (its nft.json was written by
// the real nft: Fixtures/scripts/nft-hosts.sh). Each case's NAME.host names that snapshot.
import Capture
import Foundation
import Wire

func netfilterCases() -> [CaptureCase] {
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

    return [
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
}

func writeNetfilterCases(to dir: String) throws {
    try writeCases(netfilterCases(), to: dir, start: 1_700_000_300)
    for c in netfilterCases() {
        try "netns-h-nft-filter\n".write(toFile: "\(dir)/\(c.name).host", atomically: true, encoding: .utf8)
    }
    print("wrote \(netfilterCases().count) netfilter cases to \(dir)")
}
