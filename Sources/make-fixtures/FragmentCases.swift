// The reassembly cases (issue 5): fragments of UDP datagrams to the host of Fixtures/hosts/netns-h,
// cut as a 1500-MTU link cuts them (1480 bytes of IP payload per fragment).
import Capture
import Wire

func fragmentCases() -> [(name: String, frames: [(seconds: Int64, bytes: [UInt8])])] {
    let h = IPv4Address(10, 1, 0, 2), p = IPv4Address(10, 1, 0, 1)
    let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01), peerMAC = MACAddress(0x02, 0, 0, 0, 0, 0xfe)

    /// The fragments of one UDP datagram of `size` payload bytes, cut every `cut` bytes of IP
    /// payload (a multiple of 8), as (offset, more, bytes) — each an Ethernet frame.
    func fragments(dst: IPv4Address, dport: UInt16, size: Int, ident: UInt16, cut: Int = 1480) -> [[UInt8]] {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let whole = UDPHeader(sourcePort: 40000, destinationPort: dport)
            .emit(payload: data, pseudoHeader: IPv4Header(source: p, destination: dst, protocol: .udp).pseudoHeaderSum)
        var out: [[UInt8]] = []
        var off = 0
        while off < whole.count {
            let piece = Array(whole[off..<min(whole.count, off + cut)])
            let more = off + cut < whole.count
            let ip = IPv4Header(source: p, destination: dst, protocol: .udp, ident: ident, dontFrag: false, moreFrags: more, fragOffset: off)
            out.append(EthernetHeader(destination: hostMAC, source: peerMAC, etherType: .ipv4).emit(payload: ip.emit(payload: piece)))
            off += cut
        }
        return out
    }
    /// A fragment of its own: `length` bytes of payload at `offset`.
    func fragment(offset: Int, length: Int, more: Bool, ident: UInt16) -> [UInt8] {
        let ip = IPv4Header(source: p, destination: h, protocol: .udp, ident: ident, dontFrag: false, moreFrags: more, fragOffset: offset)
        return EthernetHeader(destination: hostMAC, source: peerMAC, etherType: .ipv4)
            .emit(payload: ip.emit(payload: [UInt8](repeating: 0x42, count: length)))
    }
    func at(_ frames: [[UInt8]], start: Int64 = 0) -> [(Int64, [UInt8])] { frames.map { (start, $0) } }

    let three = fragments(dst: h, dport: 5353, size: 3000, ident: 0x5001)
    let small = { (id: UInt16) -> [UInt8] in  // an unfragmented datagram, to bring time forward
        let ip = IPv4Header(source: p, destination: h, protocol: .udp, ident: id)
        return EthernetHeader(destination: hostMAC, source: peerMAC, etherType: .ipv4)
            .emit(payload: ip.emit(payload: UDPHeader(sourcePort: 40001, destinationPort: 5353).emit(payload: [1], pseudoHeader: ip.pseudoHeaderSum)))
    }
    let timeout = fragments(dst: h, dport: 5353, size: 3000, ident: 0x5005)
    return [
        ("frag-in-order", at(three)),
        ("frag-out-of-order", at([three[2], three[0], three[1]])),
        ("frag-duplicate", at([three[0], three[0], three[1], three[2]])),
        ("frag-overlap", at([fragment(offset: 0, length: 1480, more: true, ident: 0x5004),
                             fragment(offset: 1400, length: 800, more: true, ident: 0x5004),
                             fragment(offset: 1480, length: 800, more: false, ident: 0x5004)])),
        ("frag-timeout", [(Int64(0), timeout[0]), (Int64(0), timeout[1]), (Int64(40), small(0x5006))]),
        ("frag-closed-port", at(fragments(dst: h, dport: 5354, size: 3000, ident: 0x5007))),
        // 19 fragments: past MAX_SKB_FRAGS (17) of them merged into the head where the driver's
        // buffers allow it (e1000), the rest on its frag_list, freed with it (skb_release_data).
        ("frag-19-closed-port", at(fragments(dst: h, dport: 5354, size: 27000, ident: 0x5009))),
        // ipfrag_max_dist (64): 65 fragments of other datagrams from the same source arrive
        // between two fragments of one datagram, which is then started over (FRAG_TOO_FAR).
        ("frag-too-far", at([fragment(offset: 0, length: 64, more: true, ident: 0x6000)]
                            + (1...65).map { fragment(offset: 0, length: 64, more: true, ident: 0x6000 + UInt16($0)) }
                            + [fragment(offset: 64, length: 64, more: true, ident: 0x6000)])),
        ("frag-forward-smaller-mtu", at(fragments(dst: IPv4Address(10, 2, 0, 1), dport: 5353, size: 3000, ident: 0x5008))),
    ].map { (name: $0.0, frames: $0.1.map { (seconds: $0.0, bytes: $0.1) }) }
}

func writeFragmentCases(to dir: String) throws {
    for c in fragmentCases() {
        let w = try CaptureWriter(path: "\(dir)/\(c.name).pcap", linkType: .ethernet)
        for (i, f) in c.frames.enumerated() {
            w.write(f.bytes, timestamp: Timestamp(seconds: 1_700_000_200 + f.seconds, nanoseconds: Int64(i) * 1_000_000))
        }
        try w.close()
    }
    print("wrote \(fragmentCases().count) reassembly cases to \(dir)")
}
