// A JSON reader for snapshot files (`ip -j`, `nft -j`), written here because Foundation's
// JSONSerialization builds an NSDictionary/NSNumber graph: on a snapshot of 100,000 routes and a
// 100,000-element set it took 1.4 s and 330 MiB (measured, issue 18), where this takes a tenth of
// both. It gives the same shapes JSONSerialization does — [String: Any], [Any], String, Int (or
// Double when the number has a fraction or exponent), Bool and NSNull — so the readers' `as?`
// casts are unchanged. Strict RFC 8259: one value, UTF-8, no trailing commas or comments.
import Foundation

public struct JSONReadError: Error, CustomStringConvertible {
    public let offset: Int
    public let message: String
    public var description: String { "\(message) at byte \(offset)" }
}

public enum JSONReader {
    public static func parse(_ text: String) throws(JSONReadError) -> Any {
        var text = text
        let result = text.withUTF8 { (b: UnsafeBufferPointer<UInt8>) -> Result<Any, JSONReadError> in
            var p = Parser(bytes: b)
            do throws(JSONReadError) {
                p.skipSpace()
                let v = try p.value(depth: 0)
                p.skipSpace()
                guard p.i == b.count else { throw JSONReadError(offset: p.i, message: "more after the value") }
                return .success(v)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// A top-level array's elements, one at a time: each is parsed, handed to `body` and
    /// dropped, so a snapshot of 100,000 routes never holds 100,000 dictionaries at once.
    /// `body` returns false to stop early.
    public static func forEachElement(_ text: String, _ body: (Int, Any) throws(JSONReadError) -> Bool) throws(JSONReadError) {
        var text = text
        let result = text.withUTF8 { (b: UnsafeBufferPointer<UInt8>) -> Result<Void, JSONReadError> in
            var p = Parser(bytes: b)
            do throws(JSONReadError) {
                try p.expect(UInt8(ascii: "["))
                p.skipSpace()
                var n = 0
                if p.i < b.count, b[p.i] == UInt8(ascii: "]") { p.i += 1 } else {
                    while true {
                        let v = try p.value(depth: 1)
                        n += 1
                        guard try body(n, v) else { return .success(()) }
                        p.skipSpace()
                        guard p.i < b.count else { throw p.fail("unexpected end in an array") }
                        if b[p.i] == UInt8(ascii: ",") { p.i += 1; continue }
                        if b[p.i] == UInt8(ascii: "]") { p.i += 1; break }
                        throw p.fail("expected ',' or ']'")
                    }
                }
                p.skipSpace()
                guard p.i == b.count else { throw JSONReadError(offset: p.i, message: "more after the value") }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0
        /// Deeper than any snapshot nests: a hostile file cannot exhaust the stack.
        static let maxDepth = 512

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func fail(_ m: String) -> JSONReadError { JSONReadError(offset: i, message: m) }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0a || bytes[i] == 0x0d || bytes[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ c: UInt8) throws(JSONReadError) {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
            i += 1
        }

        mutating func literal(_ word: StaticString) throws(JSONReadError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { throw fail("unexpected end") }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("not a JSON value") }
            i += n
        }

        mutating func value(depth: Int) throws(JSONReadError) -> Any {
            guard depth < Self.maxDepth else { throw fail("nested too deeply") }
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                // Room for a snapshot entry's keys at once (a route has 5 to 10): no regrowing.
                var o = [String: Any](minimumCapacity: 12)
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return o }
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let k = try string()
                    try expect(UInt8(ascii: ":"))
                    o[k] = try value(depth: depth + 1)
                    skipSpace()
                    guard i < bytes.count else { throw fail("unexpected end in an object") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return o }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [Any] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return a }
                while true {
                    a.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < bytes.count else { throw fail("unexpected end in an array") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return a }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "t"): try literal("true"); return true
            case UInt8(ascii: "f"): try literal("false"); return false
            case UInt8(ascii: "n"): try literal("null"); return NSNull()
            default: return try number()
            }
        }

        mutating func number() throws(JSONReadError) -> Any {
            let start = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            var integral = true
            var digits = 0
            while i < bytes.count {
                let c = bytes[i]
                if c >= 0x30 && c <= 0x39 { digits += 1; i += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || (c == UInt8(ascii: "-") && i > start) {
                    integral = false; i += 1; continue
                }
                break
            }
            guard digits > 0 else { throw fail("not a JSON value") }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            if integral, let n = Int(text) { return n }
            guard let d = Double(text) else { throw fail("not a number") }
            return d
        }

        mutating func string() throws(JSONReadError) -> String {
            i += 1   // the opening quote
            let start = i
            // The common case: no escapes, copied at once.
            while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") {
                guard bytes[i] >= 0x20 else { throw fail("a control character in a string") }
                i += 1
            }
            guard i < bytes.count else { throw fail("an unterminated string") }
            if bytes[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            var out = Array(bytes[start..<i])
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
                if c < 0x20 { throw fail("a control character in a string") }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                guard i + 1 < bytes.count else { throw fail("an unterminated string") }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xd800 && scalar < 0xdc00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        guard low >= 0xdc00 && low < 0xe000 else { throw fail("a lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("a lone surrogate") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("a bad escape")
                }
            }
            throw fail("an unterminated string")
        }

        mutating func hex4() throws(JSONReadError) -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("a short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("a bad \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }
    }
}
