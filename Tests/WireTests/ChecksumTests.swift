import Testing
@testable import Wire

@Suite struct ChecksumTests {
    /// RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is 0xddf2 (before complement).
    @Test func rfc1071Example() {
        let words: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        #expect(InternetChecksum.finish(InternetChecksum.sum(words)) == ~UInt16(0xddf2))
    }

    @Test func oddLengthPadsWithZero() {
        #expect(InternetChecksum.sum([0xab]) == 0xab00)
    }

    @Test func kernelHeadersVerify() {
        withBytes(KernelBytes.tcpSYN) { b in
            let ip = IPv4Packet.parse(b).value!
            #expect(ip.headerChecksumIsValid)
            let tcp = TCPSegment.parse(ip.payload).value!
            #expect(tcp.checksumIsValid(pseudoHeaderSum: ip.pseudoHeaderSum(length: ip.payload.count)))
        }
        withBytes(KernelBytes.icmpPortUnreachable) { b in
            let ip = IPv4Packet.parse(b).value!
            #expect(ip.headerChecksumIsValid)
            #expect(ICMPv4Message.parse(ip.payload).value!.checksumIsValid)
        }
    }

    @Test func aFlippedBitFails() {
        var bad = KernelBytes.tcpSYN
        bad[30] ^= 0x01   // a byte of the TCP header
        withBytes(bad) { b in
            let ip = IPv4Packet.parse(b).value!
            #expect(ip.headerChecksumIsValid)
            #expect(!TCPSegment.parse(ip.payload).value!.checksumIsValid(pseudoHeaderSum: ip.pseudoHeaderSum(length: ip.payload.count)))
        }
        bad = KernelBytes.tcpSYN
        bad[8] = 1        // TTL
        withBytes(bad) { #expect(!IPv4Packet.parse($0).value!.headerChecksumIsValid) }
    }
}
