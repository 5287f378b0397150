import Foundation
import Testing

@Suite struct CLITests {
    @Test func version() throws {
        let t = try runTracer(["--version"])
        #expect(t.status == 0)
        #expect(t.stdout.hasPrefix("tracer 0.1.0 (libpcap version 1."))
    }

    /// The same input gives the same bytes out, run after run.
    @Test func deterministic() throws {
        let args = ["explain", "Fixtures/captures/netns-sll2.pcap", "--host", "Fixtures/hosts/netns-h", "--format", "json"]
        let a = try runTracer(args), b = try runTracer(args)
        #expect(a == b && a.status == 0 && !a.stdout.isEmpty)
    }

    /// Every JSON line is an object with the documented keys.
    @Test func jsonLinesParse() throws {
        let t = try runTracer(["explain", "Fixtures/captures/sll2.pcap", "--format", "json"])
        let lines = t.stdout.split(separator: "\n")
        #expect(lines.count == 15)
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(o.keys) == ["frame", "time", "iface", "dir", "len", "summary"])
        }
    }

    /// A closed stdout (`tracer explain … | head -1`) ends the run quietly, with no crash.
    @Test func closedPipe() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "'\(tracerBinary)' explain Fixtures/captures/ethernet.pcap | head -1"]
        p.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(String(decoding: d, as: UTF8.self).hasPrefix("1 1700000000.000000789"))
    }

    @Test func snapshotCommandWritesALoadableDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tracer-cli-snap-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try runTracer(["snapshot", "-o", dir])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stderr.hasPrefix("tracer: wrote "))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/ip-addr.json"))
        let shown = try runTracer(["host", "--host", dir])
        #expect(shown.status == 0 && shown.stdout.contains("interfaces:"))
    }
}
