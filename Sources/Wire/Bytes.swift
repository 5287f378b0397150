// Network-order reads over a raw buffer. The views in this module check lengths once, in their
// checked constructors; after that these reads are in bounds by construction.

extension UnsafeRawBufferPointer {
    @inline(__always) public func u8(_ offset: Int) -> UInt8 { self[offset] }

    @inline(__always) public func u16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always) public func u32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16
            | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }

    /// The bytes from `offset` to the end (empty when `offset` is at or past the end).
    @inline(__always) public func tail(from offset: Int) -> UnsafeRawBufferPointer {
        offset >= count ? UnsafeRawBufferPointer(rebasing: self[count...]) : UnsafeRawBufferPointer(rebasing: self[offset...])
    }

    /// `length` bytes from `offset`, clipped to what is there.
    @inline(__always) func slice(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer {
        let start = Swift.min(offset, count)
        let end = Swift.min(count, start + Swift.max(0, length))
        return UnsafeRawBufferPointer(rebasing: self[start..<end])
    }
}

extension Array where Element == UInt8 {
    @inline(__always) mutating func append16(_ value: UInt16) {
        append(UInt8(value >> 8)); append(UInt8(value & 0xff))
    }
    @inline(__always) mutating func append32(_ value: UInt32) {
        append(UInt8(value >> 24)); append(UInt8((value >> 16) & 0xff))
        append(UInt8((value >> 8) & 0xff)); append(UInt8(value & 0xff))
    }
    @inline(__always) mutating func put16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8); self[offset + 1] = UInt8(value & 0xff)
    }
}

/// Lower-case hex of a byte sequence, no separators (the JSON `hex` fields).
/// `v` in decimal, appended as ASCII digits (no String made: the JSON writer and summary lines
/// write numbers straight into their buffers).
public func appendDecimal(_ v: Int, to out: inout [UInt8]) {
    if v < 0 { out.append(UInt8(ascii: "-")) }
    var m = v.magnitude
    if m < 10 { out.append(UInt8(ascii: "0") + UInt8(m)); return }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
        var i = 20
        while m > 0 { i -= 1; buf[i] = UInt8(ascii: "0") + UInt8(m % 10); m /= 10 }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i...]))
    }
}

public func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xf)]) }
    return String(decoding: out, as: UTF8.self)
}

/// Bytes from a hex string; whitespace is ignored. Nil on an odd count or a non-hex character.
public func bytes(fromHex text: String) -> [UInt8]? {
    var out = [UInt8]()
    var high: UInt8? = nil
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
        case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"): continue
        default: return nil
        }
        if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
    }
    return high == nil ? out : nil
}
