// The capture as a witness (issue 13): on captures of real programs taken with plain tcpdump on a
// client, a server and a router (Fixtures/scripts/capture-wild.sh), the explanation never
// contradicts the capture — with the host inferred and with the snapshot taken there; a stale
// snapshot is caught; a capture cut to 96 bytes a frame is explained as the whole one.
import Foundation
import Testing
import TestSupport

@Suite struct WitnessTests {
    static let captures = ["client", "server", "router"]

    /// `--stats --format json`'s witness totals.
    func witnessTotals(_ args: [String]) throws -> (contradicted: Int, unconfirmed: Int, frames: Int) {
        let t = try runTracer(args + ["--stats", "--format", "json"])
        #expect(t.status == 0, "\(t.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(t.stdout.utf8)) as? [String: Any])
        let w = try #require(o["witness"] as? [String: Int])
        return (w["contradicted"] ?? -1, w["unconfirmed"] ?? -1, o["frames"] as? Int ?? 0)
    }

    @Test(arguments: captures)
    func noContradictionWithTheHostInferred(name: String) throws {
        let w = try witnessTotals(["explain", "Fixtures/captures/wild-\(name).pcap"])
        #expect(w.frames > 20)
        #expect(w.contradicted == 0 && w.unconfirmed == 0)
        let text = try runTracer(["explain", "Fixtures/captures/wild-\(name).pcap"])
        #expect(!text.stdout.contains("witness") && !text.stderr.contains("witness"), "\(text.stdout)")
    }

    @Test(arguments: captures)
    func noContradictionWithTheSnapshot(name: String) throws {
        let w = try witnessTotals(["explain", "Fixtures/captures/wild-\(name).pcap", "--host", "Fixtures/hosts/wild-\(name)"])
        #expect(w.contradicted == 0 && w.unconfirmed == 0)
    }

    /// The same traffic through a masquerading router (capture-nat.sh): NAT seen in the capture
    /// (a forwarded packet leaving with the router's address) is inferred; with the snapshot, its
    /// `table ip nat` is read from nft, not from iptables-save's empty stand-in.
    @Test(arguments: captures)
    func noContradictionThroughANATRouter(name: String) throws {
        for host in [[], ["--host", "Fixtures/hosts/nat-\(name)"]] {
            let w = try witnessTotals(["explain", "Fixtures/captures/nat-\(name).pcap"] + host)
            #expect(w.frames > 20 && w.contradicted == 0 && w.unconfirmed == 0, "\(name) \(host)")
        }
        if name == "router" {
            let t = try runTracer(["explain", "Fixtures/captures/nat-router.pcap", "-c", "1"])
            #expect(t.stdout.contains("-A POSTROUTING -o eth1 -j MASQUERADE"))
        }
    }

    /// Every frame of the capture is explained: none is an error (not modelled) on these.
    @Test(arguments: captures)
    func everyFrameExplained(name: String) throws {
        for host in [[], ["--host", "Fixtures/hosts/wild-\(name)"]] {
            let t = try runTracer(["explain", "Fixtures/captures/wild-\(name).pcap", "--format", "json"] + host)
            for line in t.stdout.split(separator: "\n") {
                let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let v = try #require(o["verdict"] as? [String: Any])
                #expect(v["action"] as? String != "error", "frame \(o["frame"] ?? "?"): \(v["detail"] ?? "")")
            }
        }
    }

    /// The JSON objects of a run, by frame number.
    func frames(_ args: [String]) throws -> [[String: Any]] {
        let t = try runTracer(args + ["--format", "json"])
        return try t.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    /// A snapshot from another day: its default route is gone, so every answer the server sends
    /// "fails" — and the capture, which shows them sent, says so on each.
    @Test func staleRouteIsCaught() throws {
        let f = try frames(["explain", "Fixtures/captures/wild-server.pcap", "--host", "Fixtures/hosts/wild-server-stale-route"])
        let flagged = f.filter { (($0["witness"] as? [[String: Any]]) ?? []).contains { $0["kind"] as? String == "contradiction" } }
            .compactMap { $0["frame"] as? Int }
        let sent = f.filter { $0["dir"] as? String == "tx" }.compactMap { $0["frame"] as? Int }
        #expect(flagged == sent, "every frame the server sent is flagged (its replies cannot leave without a route)")
        let echoReply = try #require(f.first { $0["frame"] as? Int == 2 })
        let w = try #require((echoReply["witness"] as? [[String: Any]])?.first)
        #expect((w["model"] as? String)?.contains("ENETUNREACH") == true)
    }

    /// Without its listener the model resets the handshake; the capture shows a SYN-ACK.
    @Test func staleListenerIsCaught() throws {
        let f = try frames(["explain", "Fixtures/captures/wild-server.pcap", "--host", "Fixtures/hosts/wild-server-stale-listener"])
        func findings(_ n: Int) -> [[String: Any]] { (f.first { $0["frame"] as? Int == n }?["witness"] as? [[String: Any]]) ?? [] }
        #expect(findings(7).contains { ($0["capture"] as? String)?.contains("Flags [R.]") == true })       // the RST it predicts is not there
        #expect(findings(8).contains { ($0["capture"] as? String)?.contains("with a SYN-ACK") == true })   // the SYN-ACK it cannot explain
        #expect(findings(1).isEmpty && findings(5).isEmpty)                                              // ping and UDP still agree
    }

    /// A JSON value as text with its keys sorted (dictionaries print in no fixed order).
    func canonical(_ v: Any?) -> String {
        let d = try? JSONSerialization.data(withJSONObject: [v ?? NSNull()], options: [.sortedKeys])
        return d.map { String(decoding: $0, as: UTF8.self) } ?? "?"
    }

    /// `--infer` completes a stale snapshot where it is silent, saying what it added, and the
    /// witness then has nothing to report; where the snapshot says something, it stays.
    @Test func inferCompletesAStaleSnapshot() throws {
        for (host, added) in [("wild-server-stale-route", "+ route default via 10.20.2.1 dev eth0"),
                              ("wild-server-stale-listener", "+ socket tcp *:8080 LISTEN")] {
            let w = try witnessTotals(["explain", "Fixtures/captures/wild-server.pcap", "--host", "Fixtures/hosts/\(host)", "--infer"])
            #expect(w.contradicted == 0 && w.unconfirmed == 0, "\(host)")
            let t = try runTracer(["explain", "Fixtures/captures/wild-server.pcap", "--host", "Fixtures/hosts/\(host)", "--infer", "-c", "1"])
            #expect(t.stdout.contains(added), "\(t.stdout)")
        }
        let t = try runTracer(["explain", "Fixtures/captures/wild-server.pcap", "--host", "Fixtures/hosts/wild-server", "--infer", "-c", "1"])
        #expect(t.stdout.contains("nothing to add"))
        let bad = try runTracer(["explain", "Fixtures/captures/wild-server.pcap", "--infer"])
        #expect(bad.status != 0 && bad.stderr.contains("--infer"))
    }

    /// `tcpdump -s 96` of the same traffic: the same verdicts, routes and hooks, frame by frame.
    @Test(arguments: [[], ["--host", "Fixtures/hosts/wild-server"]])
    func snappedCaptureExplainedLikeTheWholeOne(host: [String]) throws {
        let whole = try frames(["explain", "Fixtures/captures/wild-server.pcap"] + host)
        let cut = try frames(["explain", "Fixtures/captures/wild-server-s96.pcap"] + host)
        #expect(whole.count == cut.count && whole.count > 20)
        for (a, b) in zip(whole, cut) {
            let (va, vb) = (a["verdict"] as! [String: Any], b["verdict"] as! [String: Any])
            for k in ["action", "reason", "function"] { #expect("\(va[k] ?? "nil")" == "\(vb[k] ?? "nil")", "frame \(a["frame"]!) \(k)") }
            for k in ["route", "netfilter", "socket", "witness"] {
                #expect(canonical(a[k]) == canonical(b[k]), "frame \(a["frame"]!) \(k)")
            }
            #expect((b["len"] as? Int) == (a["len"] as? Int))
        }
        #expect(cut.contains { ($0["verdict"] as! [String: Any])["detail"].map { "\($0)".contains("holds 96 of its") } == true })
    }
}

/// Real captures from tcpdump's own test suite (Fixtures/captures/tcpdump-tests/README.md): with
/// the host inferred, the explanation never contradicts them.
@Suite struct WildCorpusTests {
    static let captures = ["EIGRP_adjacency", "bgp-4byte-asn", "eapon1", "erspan-type-i-4", "forces3", "mptcp-v1",
                           "of10_pf5240", "pptp", "tcp-handshake-nano", "vrrp"]

    @Test(arguments: captures)
    func noContradiction(name: String) throws {
        let t = try runTracer(["explain", "Fixtures/captures/tcpdump-tests/\(name).pcap", "--stats", "--format", "json"])
        #expect(t.status == 0, "\(t.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(t.stdout.utf8)) as? [String: Any])
        let w = try #require(o["witness"] as? [String: Int])
        #expect(w["contradicted"] == 0, "\(name): \(w)")
        #expect((o["frames"] as? Int ?? 0) > 0)
    }
}
