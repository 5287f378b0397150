import Testing
@testable import Wire

@Suite struct DissectionTests {
    func summary(_ frame: [UInt8], _ lt: LinkType = .ethernet) -> String {
        frame.withUnsafeBytes { Dissection($0, linkType: lt).summary }
    }
    func eth(_ payload: [UInt8], type: EtherType = .ipv4, tags: [VLANTag] = []) -> [UInt8] {
        EthernetHeader(destination: hostMAC, source: peerMAC, tags: tags, etherType: type).emit(payload: payload)
    }

    @Test func summaries() {
        #expect(summary(eth(KernelBytes.tcpSYN)) ==
                "IP 10.1.0.1.34554 > 10.1.0.2.80: Flags [S], seq 4024196808, win 64240, options [mss 1460,sackOK,TS val 1757765446 ecr 0,nop,wscale 10], length 0")
        #expect(summary(eth(KernelBytes.icmpPortUnreachable, tags: [VLANTag(vid: 5)])) == "vlan 5, IP 10.1.0.2 > 10.1.0.1: ICMP port unreachable, length 48")
        #expect(summary(KernelBytes.tcpSYN.prefix(10).map { $0 }, .raw) == "IP [truncated IPv4 header (10 of 20 bytes)]")
        #expect(summary(eth([1, 2, 3], type: .unknown(0x88b5))) == "ethertype 0x88b5, length 3")
    }

    /// Every prefix of every frame, and frames with bytes overwritten by a deterministic
    /// generator, decode to a value: no trap, whatever the bytes.
    @Test func hostileBytesNeverCrash() {
        let seeds: [[UInt8]] = [eth(KernelBytes.tcpSYN), eth(KernelBytes.icmpPortUnreachable, tags: [VLANTag(vid: 1), VLANTag(vid: 2)]),
                                eth(ARPHeader(operation: .request, senderHardwareAddress: peerMAC, senderProtocolAddress: .any,
                                              targetHardwareAddress: .zero, targetProtocolAddress: .any).emit(), type: .arp)]
        var rng = SplitMix64(seed: 42)
        var decoded = 0
        let expected = seeds.map { ($0.count + 1 + 300) * LinkType.allCases.count }.reduce(0, +)
        for seed in seeds {
            for lt in LinkType.allCases {
                for n in 0...seed.count {
                    _ = summary(Array(seed.prefix(n)), lt)
                    decoded += 1
                }
                for _ in 0..<300 {
                    var f = seed
                    for _ in 0..<(1 + Int(rng.next() % 6)) { f[Int(rng.next() % UInt64(f.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                    _ = summary(f, lt)
                    f.withUnsafeBytes { b in
                        if case .ipv4(let ip)? = Dissection(b, linkType: lt).network { _ = ip.options; _ = ip.headerChecksumIsValid }
                    }
                    decoded += 1
                }
            }
        }
        #expect(decoded == expected)
    }
}

/// A small deterministic generator (Steele, Lea, Flood 2014), so the hostile-bytes test is the
/// same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
