// JSONReader against Foundation's JSONSerialization: the same values for every snapshot file in
// Fixtures/hosts, and clear errors (no crash) for broken input.
import Foundation
import Testing
import TestSupport
@testable import HostModel

@Suite struct JSONReaderTests {
    /// Both parsers' results, written back by JSONSerialization with sorted keys.
    func canonical(_ v: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    @Test func sameAsFoundationOnEverySnapshotFile() throws {
        let hosts = packageRoot + "/Fixtures/hosts"
        var files = 0
        for dir in try FileManager.default.contentsOfDirectory(atPath: hosts).sorted() {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: "\(hosts)/\(dir)")) ?? [] where f.hasSuffix(".json") {
                let text = try String(contentsOfFile: "\(hosts)/\(dir)/\(f)", encoding: .utf8)
                if text.allSatisfy(\.isWhitespace) { continue }
                let ours = try JSONReader.parse(text)
                let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8))
                #expect(try canonical(ours) == (try canonical(theirs)), "\(dir)/\(f)")
                files += 1
            }
        }
        #expect(files > 50)
    }

    @Test func valuesAndEscapes() throws {
        let v = try #require(try JSONReader.parse(#"{"a": [1, -2, 3.5, 1e3, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00", "e": {}, "l": []}"#) as? [String: Any])
        let a = try #require(v["a"] as? [Any])
        #expect(a[0] as? Int == 1 && a[1] as? Int == -2 && a[2] as? Double == 3.5 && a[3] as? Double == 1000)
        #expect(a[4] as? Bool == true && a[5] as? Bool == false && a[6] is NSNull)
        #expect(v["s"] as? String == "x\"\\/\né😀")
        #expect((v["e"] as? [String: Any])?.isEmpty == true && (v["l"] as? [Any])?.isEmpty == true)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "\"abc", "[1 2]", "tru", "{\"a\":1} x", "\"\\q\"", "\"\\ud800\"", "-", "[\"\u{1}\"]",
                      String(repeating: "[", count: 10_000)])
    func brokenInputIsAnError(_ text: String) {
        #expect(throws: JSONReadError.self) { try JSONReader.parse(text) }
    }
}
