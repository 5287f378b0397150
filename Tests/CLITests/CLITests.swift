import Foundation
import Testing
import TestSupport
import Kernel
@testable import TracerCLI

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
        let t = try runTracer(["explain", "Fixtures/captures/sll2.pcap", "--format", "json", "--host", "default"])
        let lines = t.stdout.split(separator: "\n")
        #expect(lines.count == 15)
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            // why_not: a dropped frame's, when the model found a change that lets it through.
            #expect(Set(o.keys).subtracting(["why_not"]) == ["frame", "time", "iface", "dir", "len", "summary", "verdict", "socket", "route", "netfilter",
                                    "fragment", "timers", "witness", "ends", "emit", "counters", "path", "stack", "fib"])
            #expect(o["why_not"] == nil || (o["verdict"] as? [String: Any])?["action"] as? String == "drop")
        }
    }

    /// A path entry the function tracer cannot see though it has a body says so in JSON (6.1's
    /// udpv6_err, `static __inline__`: notrace), and only for the kernel whose profile says so.
    @Test func notraceEntriesAreMarked() throws {
        func entries(_ kernel: String) throws -> [[String: Any]] {
            let t = try runTracer(["replay", "--tx", "Fixtures/tx/ipv6-udp-pmtu-learned.pcap", "--host", "Fixtures/hosts/netns-h6",
                                   "--kernel", kernel, "--driver", "e1000", "--format", "json"])
            #expect(t.status == 0)
            let frame2 = try #require(t.stdout.split(separator: "\n").dropFirst().first)
            let o = try #require(try JSONSerialization.jsonObject(with: Data(frame2.utf8)) as? [String: Any])
            return try #require(o["path"] as? [[String: Any]])
        }
        let six1 = try entries("6.1")
        #expect(six1.filter { $0["notrace"] as? Bool == true }.map { $0["fn"] as? String } == ["udpv6_err"])
        #expect(try entries("6.18").allSatisfy { $0["notrace"] == nil })
    }

    /// A closed stdout (`tracer explain … | head -1`) ends the run quietly, with no crash.
    @Test func closedPipe() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "'\(tracerBinary)' explain Fixtures/captures/ethernet.pcap --host default | head -1"]
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

@Suite struct BacktraceTests {
    /// The function names of a gdb/`--format bt` backtrace, innermost first.
    static func functions(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("#"), line.dropFirst().first?.isNumber == true else { return nil }
            let words = line.split(separator: " ").map(String.init)
            // gdb: "#1  0xffffffff818188eb in __netif_receive_skb_one_core (…" or "#0  ip_rcv (…"
            if let i = words.firstIndex(of: "in"), i + 1 < words.count, words[1].hasPrefix("0x") { return words[i + 1] }
            return words.count > 1 ? words[1] : nil
        }
    }

    /// The seed notes' `b ip_rcv` / `bt` on 5.4 with e1000, reproduced frame for frame.
    @Test func seedIpRcvBacktrace() throws {
        let seed = try String(contentsOfFile: "\(packageRoot)/Fixtures/seed/ip_rcv-backtrace.gdb", encoding: .utf8)
        let expected = Self.functions(seed)
        #expect(expected.count == 16 && expected.first == "ip_rcv" && expected.last == "ret_from_fork")
        let t = try runTracer(["explain", "Fixtures/captures/netns-sll2.pcap", "udp port 5353", "--kernel", "5.4",
                               "--driver", "e1000", "--format", "bt", "--break", "ip_rcv"])
        #expect(t.status == 0)
        #expect(Self.functions(t.stdout) == expected)
        // The same on a snapshot taken on veth: an explicit --driver wins over the snapshot's.
        let s = try runTracer(["explain", "Fixtures/captures/netns-sll2.pcap", "udp port 5353", "--host", "Fixtures/hosts/netns-h",
                               "--kernel", "5.4", "--driver", "e1000", "--format", "bt", "--break", "ip_rcv"])
        #expect(s.status == 0)
        #expect(Self.functions(s.stdout) == expected)
        // Without --driver the snapshot's veth is the driver.
        let v = try runTracer(["explain", "Fixtures/captures/netns-sll2.pcap", "udp port 5353", "--host", "Fixtures/hosts/netns-h",
                               "--kernel", "5.4", "--format", "bt", "--break", "ip_rcv"])
        #expect(Self.functions(v.stdout).contains("process_backlog") && !Self.functions(v.stdout).contains("e1000_clean"))
    }

    /// gdb's `at FILE:LINE`: each frame's line is its definition's in the 6.12 tree (the nearest
    /// to 6.18 at hand), and the line really opens that function there.
    @Test func backtraceLinesAreDefinitions() throws {
        let t = try runTracer(["explain", "Fixtures/rx/udp-closed-port.pcap", "--host", "Fixtures/hosts/netns-h", "--format", "bt"])
        #expect(t.status == 0)
        let line = try #require(t.stdout.split(separator: "\n").first { $0.contains(" ip_protocol_deliver_rcu (") })
        #expect(line.hasSuffix("at net/ipv4/ip_input.c:\(KernelSource.location(of: "ip_protocol_deliver_rcu")!.line!)"))
    }

    /// `--format bt` at a drop on 6.18/veth lists the frames the real kernel's stack trace
    /// listed for that drop (Fixtures/rx/NAME.kernel.jsonl), from the drop up to net_rx_action.
    @Test(arguments: ["udp-closed-port", "ip-bad-checksum", "rp-filter-spoofed-source", "forward-ttl-1", "unknown-protocol", "tcp-syn-closed-port"])
    func dropStacksMatchTheKernel(name: String) throws {
        let line = try String(contentsOfFile: "\(packageRoot)/Fixtures/rx/\(name).kernel.jsonl", encoding: .utf8).split(separator: "\n")[0]
        let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let drop = try #require((o["events"] as? [[String: Any]])?.first { ($0["event"] as? String) == "kfree_skb" })
        let full = try #require(drop["stack"] as? [String])
        let top = try #require(full.firstIndex(of: "net_rx_action"))
        let stack = Array(full[...top])
        let t = try runTracer(["explain", "Fixtures/rx/\(name).pcap", "--host", "Fixtures/hosts/netns-h", "--format", "bt"])
        #expect(t.status == 0)
        #expect(Array(Self.functions(t.stdout).prefix(stack.count)) == stack)
    }
}

@Suite struct JSONTextTests {
    @Test func quoting() {
        #expect(JSONObject.quote("plain ascii") == "\"plain ascii\"")
        #expect(JSONObject.quote("a\"b\\c\nd\te\u{1}") == "\"a\\\"b\\\\c\\nd\\te\\u0001\"")
        #expect(JSONObject.quote("10.1.0.2 → ip_forward") == "\"10.1.0.2 → ip_forward\"")
        #expect(JSONObject.quote("") == "\"\"")
    }

    /// The eight-bytes-at-a-time scan against the byte-by-byte rule, for every byte value at
    /// every position of strings long enough for several words and a tail.
    @Test func escapingScanAgreesWithTheByteRule() {
        for length in [1, 7, 8, 9, 15, 16, 17, 31] {
            for at in 0..<length {
                for byte in UInt8(0)...UInt8(255) {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[at] = byte
                    let rule = byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                    let scan = bytes.withUnsafeBufferPointer { JSONObject.needsEscaping($0) }
                    #expect(scan == rule, "byte \(byte) at \(at) of \(length)")
                }
            }
        }
        // Bytes just above the control characters beside one (a borrow from the next byte).
        let mixed: [UInt8] = [0x21, 0x20, 0x1f, 0x80, 0xff, 0x5b, 0x5d, 0x23, 0x21]
        #expect(mixed.withUnsafeBufferPointer { JSONObject.needsEscaping($0) })
        #expect(![UInt8](repeating: 0x20, count: 24).withUnsafeBufferPointer { JSONObject.needsEscaping($0) })
    }
}
