// A tiny JSON writer for the per-frame objects: keys in a fixed order, so output is byte-for-byte
// deterministic (Foundation's encoders do not promise key order or number formatting across
// versions, and cost an allocation graph per frame).

struct JSONObject {
    private(set) var text = "{"
    private var first = true

    private mutating func key(_ k: String) {
        if !first { text += "," }
        first = false
        text += "\"" + k + "\":"
    }
    mutating func add(_ k: String, _ v: String) { key(k); text += JSONObject.quote(v) }
    mutating func add(_ k: String, _ v: Int) { key(k); text += String(v) }
    mutating func add(_ k: String, _ v: Bool) { key(k); text += v ? "true" : "false" }
    mutating func addNull(_ k: String) { key(k); text += "null" }
    mutating func addRaw(_ k: String, _ json: String) { key(k); text += json }
    func closed() -> String { text + "}" }

    /// A JSON string literal. Works on UTF-8 bytes: the common case (nothing to escape) is one
    /// scan and one copy; a Character-by-Character build was most of `--format json`'s time.
    static func quote(_ s: String) -> String {
        var s = s
        return s.withUTF8 { bytes -> String in
            var needs = false
            for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { needs = true; break }
            if !needs {
                var out = [UInt8]()
                out.reserveCapacity(bytes.count + 2)
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: bytes)
                out.append(UInt8(ascii: "\""))
                return String(decoding: out, as: UTF8.self)
            }
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            var out = [UInt8]()
            out.reserveCapacity(bytes.count + 16)
            out.append(UInt8(ascii: "\""))
            for b in bytes {
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
            out.append(UInt8(ascii: "\""))
            return String(decoding: out, as: UTF8.self)
        }
    }
}
