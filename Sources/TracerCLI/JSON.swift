// A tiny JSON writer for the per-frame objects: keys in a fixed order, so output is byte-for-byte
// deterministic (Foundation's encoders do not promise key order or number formatting across
// versions, and cost an allocation graph per frame). It writes UTF-8 bytes into one buffer per
// object; arrays of objects are written straight into their parent's buffer.

import Wire

struct JSONObject {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    /// Written into `buffer`'s storage (emptied, its capacity kept): `finish()` gives it back.
    init(reusing buffer: inout [UInt8]) {
        swap(&bytes, &buffer)
        bytes.removeAll(keepingCapacity: true)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Keys are literals: their bytes are copied from where the compiler put them.
    private mutating func key(_ k: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A key made at run time (a counter's name, a verdict), quoted.
    private mutating func key(named k: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        Self.appendQuoted(k, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }
    mutating func add(named k: String, _ v: Int) { key(named: k); Self.appendInt(v, to: &bytes) }
    mutating func addRaw(named k: String, _ json: String) { key(named: k); Self.appendUTF8(json, to: &bytes) }

    /// A string's UTF-8 bytes in one copy (iterating `utf8` goes byte by byte).
    static func appendUTF8(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    static func appendInt(_ v: Int, to out: inout [UInt8]) { appendDecimal(v, to: &out) }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    mutating func add(_ k: StaticString, _ v: String) { key(k); Self.appendQuoted(v, to: &bytes) }
    mutating func add(_ k: StaticString, _ v: Int) { key(k); Self.appendInt(v, to: &bytes) }
    /// `"k":"0a1b…"`: bytes as hex, written straight into the object.
    mutating func add(_ k: StaticString, hex: [UInt8]) {
        key(k)
        bytes.append(UInt8(ascii: "\""))
        bytes.reserveCapacity(bytes.count + hex.count * 2 + 1)
        Self.hexDigits.withUnsafeBufferPointer { d in
            for b in hex { bytes.append(d[Int(b >> 4)]); bytes.append(d[Int(b & 0xf)]) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func add(_ k: StaticString, _ v: Bool) { key(k); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    mutating func addNull(_ k: StaticString) { key(k); bytes.append(contentsOf: "null".utf8) }
    mutating func addRaw(_ k: StaticString, _ json: String) { key(k); Self.appendUTF8(json, to: &bytes) }
    mutating func addRaw(_ k: StaticString, _ json: [UInt8]) { key(k); bytes.append(contentsOf: json) }
    /// `"k":` and the JSON `write` appends itself, straight into the object.
    mutating func addRawParts(_ k: StaticString, _ write: (inout [UInt8]) -> Void) { key(k); write(&bytes) }
    /// The object's text as bytes, closed.
    /// Closes the object and hands over its bytes (no copy: the object is done with).
    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        defer { bytes = [] }
        return bytes
    }


    /// `"k":{…}`: the fields `body` adds, written straight into this object (no buffer of their own).
    mutating func addObject(_ k: StaticString, _ body: (inout JSONObject) -> Void) {
        key(k)
        bytes.append(UInt8(ascii: "{"))
        first = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    /// `"k":[{…},{…}]`, each object's fields added by `body`, written straight into this object.
    mutating func addObjects<S: Sequence>(_ k: StaticString, _ items: S, _ body: (inout JSONObject, S.Element) -> Void) {
        key(k)
        bytes.append(UInt8(ascii: "["))
        var firstItem = true
        for item in items {
            if !firstItem { bytes.append(UInt8(ascii: ",")) }
            firstItem = false
            bytes.append(UInt8(ascii: "{"))
            first = true
            body(&self, item)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// `"k":"address"`, written as IPAddress.appendText writes it (no string made for IPv4; an
    /// address's text never needs escaping).
    mutating func add(_ k: StaticString, address: IPAddress) {
        key(k)
        bytes.append(UInt8(ascii: "\""))
        address.appendText(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `"k":["…","…"]`.
    mutating func addStrings(_ k: StaticString, _ items: [String]) {
        key(k)
        bytes.append(UInt8(ascii: "["))
        for (i, s) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendQuoted(s, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    func closed() -> String { String(decoding: bytes + [UInt8(ascii: "}")], as: UTF8.self) }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `buf` holds a byte a JSON string must escape (a control character, `"` or `\\`).
    /// Eight bytes at a time (the classic has-zero-byte trick on each test): a byte-by-byte scan of
    /// every string of every frame was a twentieth of `--format json`'s time.
    static func needsEscaping(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        var i = 0
        if let base = buf.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= buf.count {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                // A byte below 0x20: (b - 0x20) borrows into its high bit where b itself had none
                // (bytes >= 0x80 are UTF-8, never escaped).
                let below = (w &- ones &* 0x20) & ~w & highs
                if below != 0 || hasZero(w ^ (ones &* 0x22)) || hasZero(w ^ (ones &* 0x5c)) { break }
                i += 8
            }
        }
        while i < buf.count {
            let b = buf[i]
            if b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return true }
            i += 1
        }
        return false
    }

    /// Appends `s` as a JSON string literal. Works on UTF-8 bytes: the common case (nothing to
    /// escape) is one scan and one copy; a Character-by-Character build was most of
    /// `--format json`'s time.
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        let plain = s.withUTF8 { buf in
            guard !needsEscaping(buf) else { return false }
            out.append(contentsOf: buf)
            return true
        }
        if !plain {
            let hex = Array("0123456789abcdef".utf8)
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case 0x0a: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0d: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xf)]]
                default: out.append(b)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
