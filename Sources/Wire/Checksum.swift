// The Internet checksum (RFC 1071), with the IPv4/IPv6 pseudo-headers UDP, TCP and ICMPv6 use.

public enum InternetChecksum {
    /// The one's-complement sum of `bytes` as 16-bit big-endian words, added to `initial`,
    /// not yet folded or complemented. An odd last byte is padded with zero.
    /// (Eight bytes at a time, as two 32-bit words: 2^16 ≡ 1 mod 0xffff, so the sum folds to the
    /// same 16 bits as word by word — RFC 1071's "deferred carries" — and is 0 only when every
    /// byte is.)
    @inline(__always)
    public static func sum(_ bytes: UnsafeRawBufferPointer, initial: UInt64 = 0) -> UInt64 {
        var acc = initial
        var i = 0
        let n = bytes.count
        if let base = bytes.baseAddress {
            while i + 8 <= n {
                let w = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                acc &+= (w >> 32) &+ (w & 0xffff_ffff)
                i += 8
            }
        }
        while i + 1 < n {
            acc &+= UInt64(bytes[i]) << 8 | UInt64(bytes[i + 1])
            i += 2
        }
        if i < n { acc &+= UInt64(bytes[i]) << 8 }
        return acc
    }

    public static func sum(_ bytes: [UInt8], initial: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { sum($0, initial: initial) }
    }

    /// Folds a running sum to 16 bits and complements it: the value that goes in the field.
    @inline(__always)
    public static func finish(_ sum: UInt64) -> UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return ~UInt16(s)
    }

    /// The pseudo-header sum for IPv4 (source, destination, zero, protocol, length).
    public static func pseudoHeader(source: IPv4Address, destination: IPv4Address, protocol proto: UInt8, length: Int) -> UInt64 {
        UInt64(source.value >> 16) + UInt64(source.value & 0xffff)
            + UInt64(destination.value >> 16) + UInt64(destination.value & 0xffff)
            + UInt64(proto) + UInt64(length)
    }

    /// The pseudo-header sum for IPv6 (RFC 8200 §8.1).
    public static func pseudoHeader(source: IPv6Address, destination: IPv6Address, nextHeader: UInt8, length: Int) -> UInt64 {
        func words(_ a: IPv6Address) -> UInt64 {
            var s: UInt64 = 0
            for v in [a.high, a.low] { s += (v >> 48) + ((v >> 32) & 0xffff) + ((v >> 16) & 0xffff) + (v & 0xffff) }
            return s
        }
        return words(source) + words(destination) + UInt64(length >> 16) + UInt64(length & 0xffff) + UInt64(nextHeader)
    }

    /// True when a TCP or UDP checksum field holds only the folded pseudo-header sum: what the
    /// kernel writes before it leaves the rest to the device (CHECKSUM_PARTIAL: `udp4_hwcsum`,
    /// `__tcp_v4_send_check`). A capture taken on the sender, or on a veth peer, shows it so.
    public static func isPseudoHeaderOnly(_ field: UInt16, pseudo: UInt64) -> Bool {
        var s = pseudo
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return UInt16(s) == field
    }

    /// Writes the TCP or UDP checksum of the IPv4 packet at `ip` in `frame` anew, over the
    /// transport bytes the IPv4 total length covers (a UDP checksum of 0 is sent as 0xffff).
    /// The TCP or UDP checksum of an IPv6 packet (no extension headers) computed afresh.
    public static func refillTransport6(_ frame: inout [UInt8], ip: Int) {
        guard frame.count >= ip + 48 else { return }
        let proto = frame[ip + 6]
        let start = ip + 40
        let field = start + (proto == 6 ? 16 : 6)
        let end = min(frame.count, start + (Int(frame[ip + 4]) << 8 | Int(frame[ip + 5])))
        guard proto == 6 || proto == 17, field + 2 <= end else { return }
        let f = frame
        let pseudo = f.withUnsafeBytes { b in
            pseudoHeader(source: IPv6Address(b, at: ip + 8), destination: IPv6Address(b, at: ip + 24), nextHeader: proto, length: end - start)
        }
        frame[field] = 0; frame[field + 1] = 0
        var c = frame[start..<end].withUnsafeBytes { finish(sum($0, initial: pseudo)) }
        if c == 0 && proto == 17 { c = 0xffff }
        frame[field] = UInt8(c >> 8); frame[field + 1] = UInt8(c & 0xff)
    }

    public static func refillTransport(_ frame: inout [UInt8], ip: Int) {
        guard frame.count >= ip + 20 else { return }
        let proto = frame[ip + 9]
        let start = ip + Int(frame[ip] & 0x0f) * 4
        let field = start + (proto == 6 ? 16 : 6)
        let end = min(frame.count, ip + (Int(frame[ip + 2]) << 8 | Int(frame[ip + 3])))
        guard proto == 6 || proto == 17, field + 2 <= end else { return }
        let f = frame
        func word(_ o: Int) -> UInt32 { UInt32(f[o]) << 24 | UInt32(f[o + 1]) << 16 | UInt32(f[o + 2]) << 8 | UInt32(f[o + 3]) }
        let pseudo = pseudoHeader(source: IPv4Address(word(ip + 12)), destination: IPv4Address(word(ip + 16)), protocol: proto, length: end - start)
        frame[field] = 0; frame[field + 1] = 0
        var c = frame[start..<end].withUnsafeBytes { finish(sum($0, initial: pseudo)) }
        if c == 0 && proto == 17 { c = 0xffff }
        frame[field] = UInt8(c >> 8); frame[field + 1] = UInt8(c & 0xff)
    }

    /// True when `bytes` (a header or message with its checksum field in place) sums to 0xffff.
    public static func verifies(_ bytes: UnsafeRawBufferPointer, initial: UInt64 = 0) -> Bool {
        finish(sum(bytes, initial: initial)) == 0
    }
}
