// A tiny JSON writer for the per-frame objects: keys in a fixed order, so output is byte-for-byte
// deterministic (Foundation's encoders do not promise key order or number formatting across
// versions, and cost an allocation graph per frame). It writes UTF-8 bytes into one buffer per
// object; arrays of objects are written straight into their parent's buffer.

struct JSONObject {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    init() { bytes.reserveCapacity(128) }

    private mutating func key(_ k: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: k.utf8)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }
    mutating func add(_ k: String, _ v: String) { key(k); Self.appendQuoted(v, to: &bytes) }
    mutating func add(_ k: String, _ v: Int) { key(k); bytes.append(contentsOf: String(v).utf8) }
    mutating func add(_ k: String, _ v: Bool) { key(k); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    mutating func addNull(_ k: String) { key(k); bytes.append(contentsOf: "null".utf8) }
    mutating func addRaw(_ k: String, _ json: String) { key(k); bytes.append(contentsOf: json.utf8) }

    /// `"k":[{…},{…}]`, each object written by `body` and copied in as bytes.
    mutating func addObjects<S: Sequence>(_ k: String, _ items: S, _ body: (inout JSONObject, S.Element) -> Void) {
        key(k)
        bytes.append(UInt8(ascii: "["))
        var firstItem = true
        for item in items {
            if !firstItem { bytes.append(UInt8(ascii: ",")) }
            firstItem = false
            var inner = JSONObject()
            body(&inner, item)
            bytes.append(contentsOf: inner.bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `"k":["…","…"]`.
    mutating func addStrings(_ k: String, _ items: [String]) {
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

    /// Appends `s` as a JSON string literal. Works on UTF-8 bytes: the common case (nothing to
    /// escape) is one scan and one copy; a Character-by-Character build was most of
    /// `--format json`'s time.
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var needs = false
        for b in s.utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { needs = true; break }
        if !needs {
            out.append(contentsOf: s.utf8)
        } else {
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
