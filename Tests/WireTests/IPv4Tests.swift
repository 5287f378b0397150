import Testing
@testable import Wire

@Suite struct IPv4Tests {
    @Test func parseKernelSYN() throws {
        try withBytes(KernelBytes.tcpSYN) { b in
            let ip = try #require(IPv4Packet.parse(b).value)
            #expect(ip.version == 4)
            #expect(ip.ihl == 5)
            #expect(ip.totalLength == 60)
            #expect(ip.ident == 0x3dba)
            #expect(ip.dontFrag && !ip.moreFrags && ip.fragOffset == 0 && !ip.isFragment)
            #expect(ip.ttl == 64)
            #expect(ip.nextProtocol == .tcp)
            #expect(ip.source == IPv4Address(10, 1, 0, 1))
            #expect(ip.destination == IPv4Address(10, 1, 0, 2))
            #expect(ip.payload.count == 40)
            #expect(ip.options.value == [])
        }
    }

    @Test func parseKernelICMPErrorTOS() throws {
        try withBytes(KernelBytes.icmpPortUnreachable) { b in
            let ip = try #require(IPv4Packet.parse(b).value)
            #expect(ip.tos == 0xc0)
            #expect(ip.dscp == 48)
            #expect(ip.ident == 0x325e)
            #expect(!ip.dontFrag)
        }
    }

    @Test func badVersion() {
        var b = KernelBytes.tcpSYN
        b[0] = 0x65
        withBytes(b) { #expect(IPv4Packet.parse($0).error == .badVersion(.ipv4, 6)) }
    }

    @Test func ihlBelowFive() {
        var b = KernelBytes.tcpSYN
        b[0] = 0x44
        withBytes(b) {
            #expect(IPv4Packet.parse($0).error == .badHeaderLength(.ipv4, 16))
            // The fixed-header parse leaves that judgement to the caller (ip_rcv_core order).
            #expect(IPv4Packet.parseFixedHeader($0).value?.ihl == 4)
        }
    }

    @Test func ihlBeyondBytes() {
        var b = Array(KernelBytes.tcpSYN.prefix(24))
        b[0] = 0x46
        withBytes(b) { #expect(IPv4Packet.parse($0).error == .badTotalLength(.ipv4, 60)) }  // header fits, total does not
        b[0] = 0x47
        withBytes(b) { #expect(IPv4Packet.parse($0).error == .truncated(.ipv4, need: 28, have: 24)) }
    }

    @Test func totalLengthBeyondBytesAndBelowHeader() {
        withBytes(Array(KernelBytes.tcpSYN.prefix(50))) { #expect(IPv4Packet.parse($0).error == .badTotalLength(.ipv4, 60)) }
        // …unless a snap length cut those bytes off.
        withBytes(Array(KernelBytes.tcpSYN.prefix(50))) { #expect(IPv4Packet.parse($0, uncaptured: 10).value != nil) }
        var b = KernelBytes.tcpSYN
        b[2] = 0; b[3] = 19
        withBytes(b) { #expect(IPv4Packet.parse($0).error == .badTotalLength(.ipv4, 19)) }
    }

    @Test(arguments: 0..<20)
    func truncatedFixedHeader(length: Int) {
        withBytes(Array(KernelBytes.tcpSYN.prefix(length))) {
            #expect(IPv4Packet.parse($0).error == .truncated(.ipv4, need: 20, have: length))
        }
    }

    @Test func ethernetPaddingIsNotPayload() throws {
        // A 46-byte minimum Ethernet payload carrying a 40-byte packet: six bytes of padding.
        let padded = KernelBytes.tcpSYN + [0, 0, 0, 0, 0, 0]
        try withBytes(padded) { b in
            let ip = try #require(IPv4Packet.parse(b).value)
            #expect(ip.payload.count == 40)
        }
    }

    @Test func optionsRoundTrip() throws {
        let ra = IPv4Option(type: IPv4Option.routerAlert, data: [0, 0])
        let rr = IPv4Option(type: IPv4Option.recordRoute, data: [4] + [UInt8](repeating: 0, count: 12))
        var h = IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2), protocol: .udp, ident: 9)
        h.options = IPv4Option.emit([ra, IPv4Option(type: IPv4Option.noOperation), rr])
        #expect(h.options.count == 20)
        let bytes = h.emit(payload: [1, 2, 3])
        try withBytes(bytes) { b in
            let ip = try #require(IPv4Packet.parse(b).value)
            #expect(ip.ihl == 10)
            #expect(ip.headerChecksumIsValid)
            let opts = try #require(ip.options.value)
            #expect(opts.map(\.name) == ["RA", "NOP", "RR"])  // 20 bytes: no padding, no EOL
            #expect(opts[0].isCopied && !opts[2].isCopied)
            #expect(Array(ip.payload) == [1, 2, 3])
        }
    }

    @Test func malformedOptions() {
        for opts: [UInt8] in [[7, 0, 0, 0], [7, 1, 0, 0], [7, 40, 4, 0], [0x44]] {
            let padded = opts + [UInt8](repeating: 0, count: (4 - opts.count % 4) % 4)
            var h = IPv4Header(source: .any, destination: .any, protocol: .udp)
            h.options = padded
            withBytes(h.emit(payload: [])) { b in
                let ip = IPv4Packet.parse(b).value!
                #expect(ip.options.error == .badOption(.ipv4, offset: 20), "\(opts)")
            }
        }
    }

    @Test func emitFragmentFields() throws {
        let h = IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2), protocol: .udp,
                           ttl: 3, tos: 0x10, ident: 0xabcd, dontFrag: false, moreFrags: true, fragOffset: 1480)
        try withBytes(h.emit(payload: [UInt8](repeating: 7, count: 8))) { b in
            let ip = try #require(IPv4Packet.parse(b).value)
            #expect(ip.moreFrags && !ip.dontFrag && ip.fragOffset == 1480 && ip.isFragment)
            #expect(ip.ttl == 3 && ip.tos == 0x10 && ip.ident == 0xabcd)
            #expect(ip.totalLength == 28)
            #expect(ip.headerChecksumIsValid)
        }
    }

    @Test func emitReproducesKernelHeader() {
        // The builder, given the kernel SYN's fields, writes the kernel's bytes exactly.
        let h = IPv4Header(source: IPv4Address(10, 1, 0, 1), destination: IPv4Address(10, 1, 0, 2), protocol: .tcp,
                           ident: 0x3dba)
        let tcp = Array(KernelBytes.tcpSYN[20...])
        #expect(h.emit(payload: tcp) == KernelBytes.tcpSYN)
    }
}
