// tracer diff and why-not, on fixtures.
import Capture
import Foundation
import Testing
import TestSupport
import HostModel
import Kernel
import Wire
@testable import TracerCLI

@Suite struct DiffTests {
    let sll2 = "Fixtures/captures/netns-sll2.pcap"

    /// The frames of a `diff --format json` run that changed, and its totals object.
    func changedFrames(_ t: Transcript) throws -> (frames: [Int], totals: [String: Any]) {
        var frames: [Int] = [], totals: [String: Any] = [:]
        for line in t.stdout.split(separator: "\n") {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let n = o["frame"] as? Int { frames.append(n) } else { totals = o }
        }
        return (frames, totals)
    }

    @Test func identicalHostsReportNothing() throws {
        let t = try runTracer(["diff", sll2, "--before", "Fixtures/hosts/netns-h", "--after", "Fixtures/hosts/netns-h"])
        #expect(t.status == 0)
        #expect(t.stdout == "12 frames compared, 0 changed fate\n")
    }

    /// ip_forward on and off: the frames diff reports are exactly those whose verdict differs
    /// between two `explain` runs, one on each host.
    @Test func forwardingOffChangesExactlyTheVerdictsExplainSees() throws {
        let off = FileManager.default.temporaryDirectory.appendingPathComponent("tracer-diff-\(getpid())").path
        try? FileManager.default.removeItem(atPath: off)
        try FileManager.default.copyItem(atPath: packageRoot + "/Fixtures/hosts/wild-router", toPath: off)
        defer { try? FileManager.default.removeItem(atPath: off) }
        // As `sysctl -w net.ipv4.ip_forward=0` leaves it: every device's forwarding off too.
        let sysctl = try String(contentsOfFile: off + "/sysctl.txt", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("net.ipv4.ip_forward =") || (line.hasPrefix("net.ipv4.conf.") && line.contains(".forwarding ="))
                ? line.replacingOccurrences(of: "= 1", with: "= 0") : String(line)
        }.joined(separator: "\n")
        try sysctl.write(toFile: off + "/sysctl.txt", atomically: true, encoding: .utf8)
        let capture = "Fixtures/captures/wild-router.pcap"
        func verdicts(_ host: String) throws -> [Int: String] {
            let t = try runTracer(["explain", capture, "--host", host, "--format", "json"])
            var out: [Int: String] = [:]
            for line in t.stdout.split(separator: "\n") {
                let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let v = o["verdict"] as! [String: Any]
                out[o["frame"] as! Int] = "\(v["action"]!) \(v["reason"] ?? "-") \(v["function"]!)"
            }
            return out
        }
        let on = try verdicts("Fixtures/hosts/wild-router"), offV = try verdicts(off)
        let differ = on.keys.filter { on[$0] != offV[$0] }.sorted()
        #expect(differ.count > 20)
        let t = try runTracer(["diff", capture, "--before", "Fixtures/hosts/wild-router", "--set", "net.ipv4.ip_forward=0", "--format", "json"])
        #expect(t.status == 1)
        let (frames, totals) = try changedFrames(t)
        #expect(frames == differ)
        #expect(totals["changed"] as? Int == differ.count)
        // The same against the edited snapshot itself.
        let u = try runTracer(["diff", capture, "--before", "Fixtures/hosts/wild-router", "--after", off, "--format", "json"])
        #expect(try changedFrames(u).frames == differ)
    }

    @Test func renamingAChainChangesNothing() throws {
        guard getuid() == 0 else {
            print("DiffTests.renamingAChainChangesNothing: skipped: an `nft -f` ruleset is read by the real nft in a scratch namespace (root)")
            return
        }
        let t = try runTracer(["diff", sll2, "--before", "Fixtures/hosts/netns-h", "--nft", "Fixtures/rulesets/diff-renamed.nft"])
        #expect(t.status == 0)
        #expect(t.stdout == "12 frames compared, 0 changed fate\n")
        // The same ruleset with the drop rule: as its JSON form does.
        let a = try runTracer(["diff", sll2, "--before", "Fixtures/hosts/netns-h", "--nft", "Fixtures/rulesets/diff-drop-80.nft"])
        let b = try runTracer(["diff", sll2, "--before", "Fixtures/hosts/netns-h", "--nft", "Fixtures/ci/proposed/nft.json"])
        #expect(a.stdout == b.stdout && a.status == 1)
    }

    /// A rule dropping TCP to port 80: just that port's frames change, the rule is named, the
    /// totals say so; exit 1, and 0 when --allow expects it.
    @Test func aDropRuleReportsThatPortsFrames() throws {
        let args = ["diff", sll2, "--before", "Fixtures/hosts/netns-h", "--nft", "Fixtures/ci/proposed/nft.json"]
        let t = try runTracer(args)
        #expect(t.status == 1)
        #expect(t.stdout.contains("after:  drop NETFILTER_DROP in nft_do_chain at LOCAL_IN by rule `tcp dport 80 drop`"))
        #expect(t.stdout.contains("12 frames compared, 5 changed fate\n  3 frames now dropped at LOCAL_IN by rule `tcp dport 80 drop`\n"))
        let (frames, _) = try changedFrames(try runTracer(args + ["--format", "json"]))
        let reader = try CaptureReader(path: packageRoot + "/" + sll2)
        let port80 = try PacketFilter(expression: "tcp port 80", linkType: reader.linkType, snapLength: reader.snapLength)
        var expected: [Int] = []
        while let f = try reader.next() { if port80.matches(f) { expected.append(f.number) } }
        #expect(frames == expected)
        let allowed = try runTracer(args + ["--allow", "Fixtures/ci/expected.txt"])
        #expect(allowed.status == 0)
        #expect(allowed.stdout.contains("5 changed fate (5 allowed)"))
    }

    /// A golden of `explain --format json` stands for the snapshot it was made from.
    @Test func aGoldenIsTheSnapshotItCameFrom() throws {
        let a = try runTracer(["diff", sll2, "--before", "Fixtures/ci/netns-sll2.golden.jsonl", "--after", "Fixtures/ci/proposed"])
        let b = try runTracer(["diff", sll2, "--before", "Fixtures/hosts/netns-h", "--after", "Fixtures/ci/proposed"])
        #expect(a.status == 1 && a == b)
        // …and the golden is what explain prints today (else it would be stale).
        let now = try runTracer(["explain", sll2, "--host", "Fixtures/hosts/netns-h", "--format", "json"])
        #expect(now.stdout == (try String(contentsOfFile: packageRoot + "/Fixtures/ci/netns-sll2.golden.jsonl", encoding: .utf8)))
    }

    /// The README's CI example, as CI would run it.
    @Test func theCIExampleGates() throws {
        let script = packageRoot + "/Fixtures/ci/gate-firewall.sh"
        let base = [tracerBinary, sll2, "Fixtures/ci/netns-sll2.golden.jsonl", "Fixtures/ci/proposed"]
        let fails = try run(path: script, base, directory: packageRoot)
        #expect(fails.status == 1)
        #expect(fails.out.contains("3 frames now dropped at LOCAL_IN by rule `tcp dport 80 drop`"))
        let passes = try run(path: script, base + ["Fixtures/ci/expected.txt"], directory: packageRoot)
        #expect(passes.status == 0)
        let same = try run(path: script, [tracerBinary, sll2, "Fixtures/ci/netns-sll2.golden.jsonl", "Fixtures/hosts/netns-h"], directory: packageRoot)
        #expect(same.status == 0)
    }

    @Test func troubleExitsTwo() throws {
        let t = try runTracer(["diff", sll2, "--before", "Fixtures/hosts/no-such-host"])
        #expect(t.status == 2)
        let u = try runTracer(["diff", sll2, "--before", "Fixtures/hosts/netns-h", "--route", "ip route frobnicate"])
        #expect(u.status == 2)
    }
}

/// Each why-not kind: the suggestion a fixture gets, applied to its host, lets the frame past
/// the point where it was dropped.
@Suite struct WhyNotTests {
    struct Case { let capture: String; let host: String; let frame: Int; let says: String }
    static let cases = [
        Case(capture: "Fixtures/rx/nft-drop.pcap", host: "netns-h-nft-filter", frame: 1, says: "nft delete rule inet filter input handle"),
        Case(capture: "Fixtures/rx/nft-stateful.pcap", host: "netns-h-nft-stateful", frame: 4, says: "policy accept"),
        Case(capture: "Fixtures/rx/route-blackhole.pcap", host: "netns-h", frame: 1, says: "ip route del blackhole 10.66.0.0/16"),
        Case(capture: "Fixtures/rx/forward-redirect.pcap", host: "netns-h-nodefault", frame: 1, says: "ip route add 192.0.2.7 dev"),
        Case(capture: "Fixtures/rx/rp-filter-spoofed-source.pcap", host: "netns-h", frame: 1, says: "net.ipv4.conf.eth0.rp_filter=2"),
        Case(capture: "Fixtures/rx/udp-closed-port.pcap", host: "netns-h", frame: 1, says: "a udp socket on port 5354"),
        Case(capture: "Fixtures/rx/tcp-syn-closed-port.pcap", host: "netns-h", frame: 1, says: "a tcp socket on port 81"),
    ]

    /// The frame's report on `host`, and the kernel that made it (the frames before it run first).
    static func report(_ c: Case, host: HostModel.Host) throws -> (FrameReport, [UInt8], LinkType, Interface, Kernel) {
        let reader = try CaptureReader(path: packageRoot + "/" + c.capture)
        let kernel = Kernel(host: host, profile: Profile())
        while let f = try reader.next() {
            let eth0 = host.interface(named: "eth0")!
            let time = Double(f.timestamp.seconds) + Double(f.timestamp.nanoseconds) / 1e9
            let r = kernel.receive(frame: Array(f.bytes), linkType: reader.linkType, iface: eth0, time: time)
            if f.number == c.frame { return (r, Array(f.bytes), reader.linkType, eth0, kernel) }
        }
        throw DiffError("no frame \(c.frame)")
    }

    @Test(arguments: cases.indices)
    func theSuggestionLetsTheFrameThrough(_ i: Int) throws {
        let c = Self.cases[i]
        let host = try HostModel.Host.load(packageRoot + "/Fixtures/hosts/" + c.host)
        let (r, frame, linkType, iface, kernel) = try Self.report(c, host: host)
        #expect(r.verdict.action == .drop)
        let w = WhyNot(host: host, profile: Profile())
        let edit = try #require(w.change(for: r, frame: frame, linkType: linkType, iface: iface, kernel: kernel))
        #expect(edit.description.contains(c.says), "\(edit)")
        // Applied by the test itself: the same frame on the changed host gets past the drop.
        let (after, _, _, _, _) = try Self.report(c, host: try host.applying([edit]))
        #expect(!(after.verdict.action == .drop && after.verdict.reason == r.verdict.reason && after.verdict.function == r.verdict.function),
                "\(c.capture): still \(after.verdict)")
        // And explain shows it.
        let t = try runTracer(["explain", c.capture, "--host", "Fixtures/hosts/" + c.host, "--format", "json"])
        let line = t.stdout.split(separator: "\n")[c.frame - 1]
        #expect(line.contains("\"why_not\":\"\(edit.description)"))
    }

    /// A full receive buffer: the SO_RCVBUF suggested at the last drop, given to the socket,
    /// takes every datagram of the burst.
    @Test func theSuggestedBufferTakesTheBurst() throws {
        let host = try HostModel.Host.load(packageRoot + "/Fixtures/hosts/netns-h-rcvbuf")
        let t = try runTracer(["explain", "Fixtures/rx/udp-rcvbuf-full.pcap", "--host", "Fixtures/hosts/netns-h-rcvbuf", "--format", "json"])
        let last = try #require(t.stdout.split(separator: "\n").last { $0.contains("\"why_not\"") })
        let m = try #require(last.firstMatch(of: /sk_rcvbuf (\d+)\)/))
        let bigger = try host.applying([.rcvbuf(port: 5000, bytes: Int(m.1)!)])
        let reader = try CaptureReader(path: packageRoot + "/Fixtures/rx/udp-rcvbuf-full.pcap")
        let kernel = Kernel(host: bigger, profile: Profile())
        var drops = 0
        while let f = try reader.next() {
            let r = kernel.receive(frame: Array(f.bytes), linkType: reader.linkType, iface: bigger.interface(named: "eth0")!,
                                   time: Double(f.timestamp.seconds) + Double(f.timestamp.nanoseconds) / 1e9)
            if r.verdict.action == .drop { drops += 1 }
        }
        #expect(drops == 0)
    }
}
