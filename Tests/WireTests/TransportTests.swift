import Testing
@testable import Wire

@Suite struct TCPTests {
    @Test func parseKernelSYN() throws {
        try withBytes(KernelBytes.tcpSYN) { b in
            let ip = try #require(IPv4Packet.parse(b).value)
            let tcp = try #require(TCPSegment.parse(ip.payload).value)
            #expect(tcp.sourcePort == 34554)
            #expect(tcp.destinationPort == 80)
            #expect(tcp.sequenceNumber == 4_024_196_808)
            #expect(tcp.ackNumber == 0)
            #expect(tcp.flags == .syn)
            #expect(tcp.window == 64240)
            #expect(tcp.headerLength == 40)
            #expect(tcp.options.value == [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 1_757_765_446, echo: 0),
                                          .noOperation, .windowScale(10)])
            #expect(tcp.payload.isEmpty)
        }
    }

    @Test func emitReproducesKernelSegment() {
        let ip = IPv4Header(source: IPv4Address(10, 1, 0, 1), destination: IPv4Address(10, 1, 0, 2), protocol: .tcp, ident: 0x3dba)
        let tcp = TCPHeader(sourcePort: 34554, destinationPort: 80, sequenceNumber: 4_024_196_808, flags: .syn, window: 64240,
                            options: [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 1_757_765_446, echo: 0),
                                      .noOperation, .windowScale(10)])
        #expect(ip.emit(payload: tcp.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum)) == KernelBytes.tcpSYN)
    }

    @Test func badDataOffset() {
        var seg = Array(KernelBytes.tcpSYN[20...])
        seg[12] = 0x40
        withBytes(seg) { #expect(TCPSegment.parse($0).error == .badHeaderLength(.tcp, 16)) }
        seg[12] = 0xf0
        withBytes(seg) { #expect(TCPSegment.parse($0).error == .truncated(.tcp, need: 60, have: 40)) }
        withBytes(Array(seg.prefix(19))) { #expect(TCPSegment.parse($0).error == .truncated(.tcp, need: 20, have: 19)) }
    }

    @Test func optionsEdgeCases() {
        withBytes([2, 0]) { #expect(TCPOption.parse($0).error == .badOption(.tcp, offset: 20)) }
        withBytes([8, 10, 0]) { #expect(TCPOption.parse($0).error == .badOption(.tcp, offset: 20)) }
        withBytes([2]) { #expect(TCPOption.parse($0).error == .badOption(.tcp, offset: 20)) }
        withBytes([1, 0, 9, 9]) { #expect(TCPOption.parse($0).value == [.noOperation, .endOfList]) }
        withBytes([30, 3, 1, 0]) { #expect(TCPOption.parse($0).value == [.unknown(kind: 30, data: [1]), .endOfList]) }
        let sack: [TCPOption] = [.sack([1...2, 10...20])]
        withBytes(TCPOption.emit(sack)) { #expect(TCPOption.parse($0).value == sack + [.endOfList]) }  // parsing stops at the first EOL
    }

    @Test func flagsText() {
        #expect(TCPFlags([.syn, .ack]).description == "S.")
        #expect(TCPFlags([.rst, .ack]).description == "R.")
        #expect(TCPFlags([.fin, .psh, .ack]).description == "FP.")
        #expect(TCPFlags().description == "none")
    }
}

@Suite struct UDPTests {
    let ip = IPv4Header(source: IPv4Address(10, 1, 0, 1), destination: IPv4Address(10, 1, 0, 2), protocol: .udp, ident: 0x0c0c)

    @Test func emitReproducesKernelDatagram() {
        // The datagram quoted in the kernel's port unreachable: 10.1.0.1.58865 > 10.1.0.2.5354.
        let quoted = Array(KernelBytes.icmpPortUnreachable[28...])
        let built = ip.emit(payload: UDPHeader(sourcePort: 58865, destinationPort: 5354)
            .emit(payload: Array("hello kernel".utf8), pseudoHeader: ip.pseudoHeaderSum))
        #expect(built == quoted)
    }

    @Test func parseAndVerify() throws {
        let d = UDPHeader(sourcePort: 1, destinationPort: 2).emit(payload: [9, 9, 9], pseudoHeader: ip.pseudoHeaderSum)
        try withBytes(d) { b in
            let u = try #require(UDPDatagram.parse(b).value)
            #expect(u.sourcePort == 1 && u.destinationPort == 2 && u.length == 11)
            #expect(Array(u.payload) == [9, 9, 9])
            #expect(u.checksumIsValid(pseudoHeaderSum: ip.pseudoHeaderSum(length: 11)))
            #expect(!u.checksumIsValid(pseudoHeaderSum: ip.pseudoHeaderSum(length: 11) + 1))
        }
    }

    @Test func zeroChecksumMeansNone() {
        var h = UDPHeader(sourcePort: 1, destinationPort: 2)
        h.checksumOverride = 0
        withBytes(h.emit(payload: [1], pseudoHeader: ip.pseudoHeaderSum)) {
            #expect(UDPDatagram.parse($0).value!.checksumIsValid(pseudoHeaderSum: 12345))
        }
    }

    @Test func computedZeroIsSentAsFFFF() {
        // Find a payload whose checksum computes to zero; RFC 768 sends it as 0xffff.
        for x in 0...0xffff {
            let payload = [UInt8(x >> 8), UInt8(x & 0xff)]
            let d = UDPHeader(sourcePort: 0, destinationPort: 0).emit(payload: payload, pseudoHeader: { _ in 0 })
            if d[6] == 0xff && d[7] == 0xff {
                withBytes(d) { #expect(UDPDatagram.parse($0).value!.checksumIsValid(pseudoHeaderSum: 0)) }
                return
            }
        }
        Issue.record("no payload gave a zero checksum")
    }

    @Test func truncated() {
        withBytes([0, 1, 0, 2, 0]) { #expect(UDPDatagram.parse($0).error == .truncated(.udp, need: 8, have: 5)) }
    }
}

@Suite struct ICMPTests {
    @Test func parseKernelPortUnreachable() throws {
        try withBytes(KernelBytes.icmpPortUnreachable) { b in
            let ip = try #require(IPv4Packet.parse(b).value)
            let m = try #require(ICMPv4Message.parse(ip.payload).value)
            #expect(m.kind == .destinationUnreachable(code: 3))
            #expect(m.kind.description == "port unreachable")
            #expect(m.body.count == 40)
            let quoted = try #require(IPv4Packet.parse(m.body).value)
            #expect(quoted.destination == IPv4Address(10, 1, 0, 2))
            #expect(UDPDatagram.parse(quoted.payload).value?.destinationPort == 5354)
        }
    }

    @Test func emitReproducesKernelError() {
        let ip = IPv4Header(source: IPv4Address(10, 1, 0, 2), destination: IPv4Address(10, 1, 0, 1), protocol: .icmp,
                            tos: 0xc0, ident: 0x325e, dontFrag: false)
        let body = Array(KernelBytes.icmpPortUnreachable[28...])
        #expect(ip.emit(payload: ICMPv4Header.unreachable(code: 3).emit(body: body)) == KernelBytes.icmpPortUnreachable)
    }

    @Test func echoAndFragNeeded() throws {
        try withBytes(ICMPv4Header.echoRequest(ident: 7, sequence: 1).emit(body: [1, 2])) { b in
            let m = try #require(ICMPv4Message.parse(b).value)
            #expect(m.kind == .echoRequest && m.echoIdent == 7 && m.echoSequence == 1 && m.checksumIsValid)
        }
        try withBytes(ICMPv4Header.unreachable(code: 4, mtu: 1400).emit(body: [])) { b in
            let m = try #require(ICMPv4Message.parse(b).value)
            #expect(m.nextHopMTU == 1400 && m.kind.description == "fragmentation needed")
        }
        withBytes([3, 3, 0]) { #expect(ICMPv4Message.parse($0).error == .truncated(.icmp, need: 8, have: 3)) }
    }

    @Test func icmpv6Checksum() throws {
        let ip = IPv6Header(source: IPv6Address("fd00::1")!, destination: IPv6Address("fd00::2")!, nextHeader: .icmpv6)
        let msg = ICMPv6Header(type: 128, code: 0, restOfHeader: 0x0001_0002).emit(body: [1, 2, 3], ip: ip)
        try withBytes(ip.emit(payload: msg)) { b in
            let p = try #require(IPv6Packet.parse(b).value)
            let m = try #require(ICMPv6Message.parse(p.payload).value)
            #expect(m.typeName == "echo request")
            #expect(m.checksumIsValid(pseudoHeaderSum: p.pseudoHeaderSum(length: p.payload.count)))
        }
    }
}
