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

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                out += "\\u00" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
