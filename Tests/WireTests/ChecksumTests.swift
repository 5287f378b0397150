import Testing
@testable import Wire

@Suite struct ChecksumTests {
    /// RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is 0xddf2 (before complement).
    @Test func rfc1071Example() {
        let words: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        #expect(InternetChecksum.finish(InternetChecksum.sum(words)) == ~UInt16(0xddf2))
    }

    /// The sum taken eight bytes at a time folds to what 16-bit word by word gives, for every
    /// length and offset of the words, with and without a pseudo-header sum; all zeros stay 0.
    @Test func eightBytesAtATimeFoldsAsWordByWord() {
        func wordByWord(_ b: [UInt8], _ initial: UInt64) -> UInt16 {
            var acc = initial, i = 0
            while i + 1 < b.count { acc += UInt64(b[i]) << 8 | UInt64(b[i + 1]); i += 2 }
            if i < b.count { acc += UInt64(b[i]) << 8 }
            return InternetChecksum.finish(acc)
        }
        var x: UInt64 = 0x9e37_79b9_7f4a_7c15
        for length in 0..<300 {
            for fill in [UInt8?.none, 0x00, 0xff] {
                let b = (0..<length).map { _ -> UInt8 in
                    if let fill { return fill }
                    x ^= x << 13; x ^= x >> 7; x ^= x << 17
                    return UInt8(truncatingIfNeeded: x)
                }
                for initial: UInt64 in [0, 0x1_2345] {
                    #expect(InternetChecksum.finish(InternetChecksum.sum(b, initial: initial)) == wordByWord(b, initial), "length \(length)")
                }
            }
        }
        #expect(InternetChecksum.sum([UInt8](repeating: 0, count: 40)) == 0)
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
