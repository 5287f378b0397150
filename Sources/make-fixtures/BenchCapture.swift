// The benchmark capture (make bench): N frames of mixed traffic to the embedded default host
// (eth0 52:54:00:12:34:56, 192.168.1.10), made deterministically with the builders: UDP to closed
// ports, TCP SYNs (RST), ICMP echoes, frames for other hosts (forwarding is off), bad checksums,
// ARP requests, and fragmented datagrams. One frame in memory at a time.
import Capture
import Wire

func writeBenchCapture(path: String, frames: Int) throws {
    let host = MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x56), peer = MACAddress(0x52, 0x54, 0, 0, 0, 0x01)
    let me = IPv4Address(192, 168, 1, 10)
    let w = try CaptureWriter(path: path, linkType: .ethernet)
    var rng: UInt64 = 0x9e37_79b9_7f4a_7c15
    func next() -> UInt64 { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng }
    func eth(_ p: [UInt8], type: EtherType = .ipv4, to: MACAddress = host) -> [UInt8] {
        EthernetHeader(destination: to, source: peer, etherType: type).emit(payload: p)
    }
    for i in 0..<frames {
        // 1,024 peers, each with its own port: real traffic repeats flows (and tcpdump, which
        // tracks every TCP connection for relative sequence numbers, slows down quadratically
        // on a capture of all-new flows).
        let peerIndex = Int(next() % 1024)
        let src = IPv4Address(10, 0, UInt8(peerIndex >> 8), UInt8(peerIndex & 0xff))
        let ident = UInt16(truncatingIfNeeded: i)
        var frame: [UInt8]
        switch i % 10 {
        case 0, 1, 2:
            let ip = IPv4Header(source: src, destination: me, protocol: .udp, ident: ident)
            frame = eth(ip.emit(payload: UDPHeader(sourcePort: UInt16(20000 + peerIndex), destinationPort: 40000)
                .emit(payload: [UInt8](repeating: 7, count: Int(next() % 64)), pseudoHeader: ip.pseudoHeaderSum)))  // to 40000: no tcpdump or tshark dissector (their DNS printers crawl on random payloads)
        case 3, 4:
            let ip = IPv4Header(source: src, destination: me, protocol: .tcp, ident: ident)
            frame = eth(ip.emit(payload: TCPHeader(sourcePort: UInt16(30000 + peerIndex), destinationPort: 443, sequenceNumber: UInt32(truncatingIfNeeded: next()),
                                                   flags: .syn, options: [.maxSegmentSize(1460), .sackPermitted, .windowScale(7)])
                .emit(payload: [], pseudoHeader: ip.pseudoHeaderSum)))
        case 5:
            let ip = IPv4Header(source: src, destination: me, protocol: .icmp, ident: ident)
            frame = eth(ip.emit(payload: ICMPv4Header.echoRequest(ident: ident, sequence: 1).emit(body: [UInt8](repeating: 1, count: 56))))
        case 6:
            let ip = IPv4Header(source: src, destination: IPv4Address(172, 16, 0, 1), protocol: .udp, ident: ident)
            frame = eth(ip.emit(payload: UDPHeader(sourcePort: 1000, destinationPort: 2000).emit(payload: [1, 2, 3], pseudoHeader: ip.pseudoHeaderSum)))
        case 7:
            var ip = IPv4Header(source: src, destination: me, protocol: .udp, ident: ident)
            ip.checksumOverride = 0xdead
            frame = eth(ip.emit(payload: UDPHeader(sourcePort: 1000, destinationPort: 2000).emit(payload: [1], pseudoHeader: ip.pseudoHeaderSum)))
        case 8:
            frame = eth(ARPHeader(operation: .request, senderHardwareAddress: peer, senderProtocolAddress: IPv4Address(192, 168, 1, 1),
                                  targetHardwareAddress: .zero, targetProtocolAddress: me).emit(), type: .arp, to: .broadcast)
        default:
            // One fragment of a two-fragment datagram; the other half follows ten frames later.
            let first = (i / 10) % 2 == 0
            let ip = IPv4Header(source: IPv4Address(10, 9, 9, 9), destination: me, protocol: .udp, ident: UInt16(truncatingIfNeeded: i / 20),
                                dontFrag: false, moreFrags: first, fragOffset: first ? 0 : 1480)
            frame = eth(ip.emit(payload: [UInt8](repeating: 3, count: first ? 1480 : 520)))
        }
        w.write(frame, timestamp: Timestamp(seconds: 1_700_000_000 + Int64(i / 100_000), nanoseconds: Int64(i % 100_000) * 10_000))
    }
    try w.close()
}
