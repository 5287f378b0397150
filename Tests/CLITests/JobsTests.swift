// --jobs: the output of every N is the output of --jobs 1, byte for byte.
import Capture
import Foundation
import Testing
import TestSupport
import Wire

@Suite struct JobsTests {
    /// `tracer explain ARGS --jobs 1` and `--jobs 2`/`--jobs 3`, compared whole (stdout, stderr
    /// and exit status), in text, JSON and --stats.
    func expectSameForEveryJobs(_ args: [String], formats: [[String]] = [[], ["--format", "json"], ["--stats"], ["--stats", "--format", "json"]],
                                minimumLines: Int) throws {
        for format in formats {
            let one = try runTracer(["explain"] + args + format + ["--jobs", "1"])
            #expect(one.status == 0, "\(args + format): \(one.stderr)")
            if !format.contains("--stats") {
                #expect(one.stdout.split(separator: "\n").count >= minimumLines, "\(args + format): only \(one.stdout.count) bytes")
            }
            for jobs in ["2", "3"] {
                let many = try runTracer(["explain"] + args + format + ["--jobs", jobs])
                #expect(many.status == one.status)
                #expect(many.stderr == one.stderr)
                let a = one.stdout.split(separator: "\n", omittingEmptySubsequences: false), b = many.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let same = many.stdout == one.stdout
                let at = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                #expect(same, "\(args + format) --jobs \(jobs) differs from --jobs 1 at line \(at + 1) of \(a.count): \(at < b.count ? b[at].prefix(120) : "(end)")")
            }
        }
    }

    /// Writes `times` copies of the captures one after another, each rebased to start 100 s
    /// after the last one ended, so one run goes through many of the renderer's batches.
    func repeated(_ captures: [String], times: Int) throws -> String {
        let path = temporaryPath("jobs-\(getpid())-\(captures.count)-\(times).pcap")
        var writer: CaptureWriter?
        var start: Int64 = 1_700_000_000
        for _ in 0..<times {
            for c in captures {
                let reader = try CaptureReader(path: packageRoot + "/" + c)
                if writer == nil { writer = try CaptureWriter(path: path, linkType: reader.linkType) }
                var first: Int64?, end = start
                while let f = try reader.next() {
                    let s = start + f.timestamp.seconds - (first ?? f.timestamp.seconds)
                    if first == nil { first = f.timestamp.seconds }
                    writer!.write(f.bytes, timestamp: Timestamp(seconds: s, nanoseconds: f.timestamp.nanoseconds), wireLength: f.wireLength)
                    end = s
                }
                start = end + 100
            }
        }
        try writer!.close()
        return path
    }

    /// A slice of `make bench`'s capture: UDP to closed ports, SYNs, echoes, forwarding-off
    /// frames, bad checksums, ARP and fragments, 4,000 of them (many batches).
    @Test func benchSliceIsTheSameForEveryJobs() throws {
        let makeFixtures = URL(fileURLWithPath: tracerBinary).deletingLastPathComponent().appendingPathComponent("make-fixtures").path
        try #require(FileManager.default.isExecutableFile(atPath: makeFixtures), "no make-fixtures next to \(tracerBinary)")
        let path = temporaryPath("jobs-bench-\(getpid()).pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let made = try run(path: makeFixtures, ["--bench", path, "4000"])
        try #require(made.status == 0, "\(made.err)")
        try expectSameForEveryJobs([path, "--host", "default"], minimumLines: 4000)
        // The inferred host, and a filter with -c.
        try expectSameForEveryJobs([path, "udp or arp", "-c", "1500"], formats: [[], ["--format", "json"]], minimumLines: 1500)
    }

    /// Real TCP connections with the kernel's own ISNs (wild-server), a NAT router's conntrack
    /// and its un-NATed ICMP errors (nat-router), reassembly in and out of order, overlapping and
    /// timed out (the frag cases), each repeated to fill many batches; with the witness's
    /// findings spliced in, and with `--format bt`.
    @Test func tcpFragmentsAndConntrackAreTheSameForEveryJobs() throws {
        let server = try repeated(["Fixtures/captures/wild-server.pcap"], times: 30)
        let router = try repeated(["Fixtures/captures/nat-router.pcap"], times: 12)
        let frags = try repeated(["Fixtures/rx/frag-out-of-order.pcap", "Fixtures/rx/frag-overlap.pcap", "Fixtures/rx/frag-timeout.pcap",
                                  "Fixtures/rx/frag-duplicate.pcap", "Fixtures/rx/frag-closed-port.pcap"], times: 40)
        defer { for p in [server, router, frags] { try? FileManager.default.removeItem(atPath: p) } }
        try expectSameForEveryJobs([server, "--host", "Fixtures/hosts/wild-server"], minimumLines: 600)
        try expectSameForEveryJobs([server], minimumLines: 600)
        // A stale snapshot: the capture contradicts 7 frames of each copy, witness lines spliced in.
        let stale = try runTracer(["explain", server, "--host", "Fixtures/hosts/wild-server-stale-listener", "--jobs", "2"])
        #expect(stale.stdout.components(separatedBy: "witness ").count - 1 >= 30 * 7)
        try expectSameForEveryJobs([server, "--host", "Fixtures/hosts/wild-server-stale-listener"], minimumLines: 600)
        try expectSameForEveryJobs([router, "--host", "Fixtures/hosts/nat-router"], minimumLines: 700)
        try expectSameForEveryJobs([frags, "--host", "Fixtures/hosts/netns-h"], minimumLines: 400)
        try expectSameForEveryJobs([router, "--host", "Fixtures/hosts/nat-router", "--format", "bt", "--break", "ip_rcv"], formats: [[]], minimumLines: 700)
    }

    @Test func jobsOutOfRangeIsAUsageError() throws {
        let t = try runTracer(["explain", "Fixtures/captures/wild-server.pcap", "--jobs", "0"])
        #expect(t.status == 64)
        #expect(t.stderr.contains("--jobs takes 1 to 256 threads"))
    }
}
