// The IPv6 transmit-path cases (issue 14): what the host of Fixtures/hosts/netns-h6 sends over
// IPv6 (eth0 2001:db8:1::2, gateway 2001:db8:1::1 at 02:00:00:00:00:fe, permanent; eth1 MTU
// 1400 towards 2001:db8:9::/48; unreachable 2001:db8:67::/48). Each is one datagram as the
// application handed it: `tracer replay --tx` (and tracer verify) explain the socket call, the
// fragments the kernel cuts and the errors it returns (`--pmtudisc do`: EMSGSIZE).
import Foundation
import Wire

func transmitCases6() -> [TransmitCase] {
    let h = IPv6Address("2001:db8:1::2")!, gw = IPv6Address("2001:db8:1::1")!
    let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01), gwMAC = MACAddress(0x02, 0, 0, 0, 0, 0xfe)
    func udp(_ dst: IPv6Address, bytes: Int = 12, from: MACAddress = hostMAC, to: MACAddress = gwMAC, dport: UInt16 = 5353) -> [UInt8] {
        let ip = IPv6Header(source: h, destination: dst, nextHeader: .udp)
        let u = UDPHeader(sourcePort: 40000, destinationPort: dport)
            .emit(payload: (0..<bytes).map { UInt8($0 & 0xff) }, pseudoHeader: ip.pseudoHeaderSum)
        return EthernetHeader(destination: to, source: from, etherType: .ipv6).emit(payload: ip.emit(payload: u))
    }
    func ping(_ src: IPv6Address, _ dst: IPv6Address, to: MACAddress = gwMAC, id: UInt16) -> [UInt8] {
        let ip = IPv6Header(source: src, destination: dst, nextHeader: .icmpv6)
        let m = ICMPv6Header(type: 128, code: 0, restOfHeader: UInt32(id) << 16 | 1).emit(body: (0..<56).map { UInt8($0) }, ip: ip)
        return EthernetHeader(destination: to, source: hostMAC, etherType: .ipv6).emit(payload: ip.emit(payload: m))
    }
    // PMTU: a 1400-byte datagram fits the 1500-byte path; the gateway answers with packet too
    // big (MTU 1280) quoting it; the same send again is then cut at 1280.
    let far = IPv6Address("2001:db8:99::9")!
    let fits = udp(far, bytes: 1400)
    let tooBig: [UInt8] = {
        let ip = IPv6Header(source: gw, destination: h, nextHeader: .icmpv6, hopLimit: 64)
        let quoted = Array(fits[14...].prefix(1280 - 48))
        let m = ICMPv6Header(type: 2, code: 0, restOfHeader: 1280).emit(body: quoted, ip: ip)
        return EthernetHeader(destination: hostMAC, source: gwMAC, etherType: .ipv6).emit(payload: ip.emit(payload: m))
    }()
    return [
        TransmitCase(name: "ipv6-udp-pmtu-learned", frames: [fits, tooBig, fits]),
        TransmitCase(name: "ipv6-ping", frames: [ping(h, gw, id: 21)]),
        // To the gateway's link-local address (a STALE entry: sent at once, DELAY).
        TransmitCase(name: "ipv6-ping-link-local", frames: [ping(IPv6Address("fe80::ff:fe00:1")!, IPv6Address("fe80::ff:fe00:fe")!, id: 22)]),
        // To an on-link address the neighbour table does not know: an NS first, the echo queued.
        TransmitCase(name: "ipv6-ping-unresolved", frames: [ping(h, IPv6Address("2001:db8:1::99")!, to: MACAddress(0x02, 0, 0, 0, 0, 0x99), id: 23)]),
        TransmitCase(name: "ipv6-udp-small", frames: [udp(gw)]),
        TransmitCase(name: "ipv6-udp-3000", frames: [udp(gw, bytes: 3000)]),
        TransmitCase(name: "ipv6-udp-via-eth1", frames: [udp(IPv6Address("2001:db8:9::5")!, from: MACAddress(0x02, 0, 0, 0, 0x01, 0x01),
                                                           to: MACAddress(0x02, 0, 0, 0, 0x01, 0xfe))]),
        TransmitCase(name: "ipv6-udp-unreachable-route", frames: [udp(IPv6Address("2001:db8:67::1")!)]),
        // Dropped at LOCAL_OUT (Fixtures/hosts/netns-h6-nft-output): EPERM; then another port.
        TransmitCase(name: "ipv6-udp-output-dropped", frames: [udp(gw, dport: 9999), udp(gw, dport: 9998)]),
    ]
}

func writeTransmitCases6(to dir: String) throws {
    let cases = transmitCases6()
    try writeCases(cases, to: dir, start: 1_700_000_700)
    for c in cases {
        let host = c.name == "ipv6-udp-output-dropped" ? "netns-h6-nft-output" : "netns-h6"
        try "\(host)\n".write(toFile: "\(dir)/\(c.name).host", atomically: true, encoding: .utf8)
    }
    print("wrote \(cases.count) IPv6 transmit-path cases to \(dir)")
}
