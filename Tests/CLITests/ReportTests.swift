// --format dot through Graphviz, and `tracer report` opened in headless Chromium.
import Foundation
import Testing
import TestSupport

/// An installed program's path, or nil (the test then skips, saying so).
func program(_ name: String) -> String? {
    ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite struct FlowDiagramTests {
    /// Every golden explain/replay case, its frames as `--format dot`: Graphviz draws each digraph
    /// without a warning or an error (one test case per golden case, run in parallel).
    @Test(arguments: goldenNames)
    func goldenCaseRendersWithDot(name: String) throws {
        guard let dot = program("dot") else {
            print("skipped: goldenCaseRendersWithDot(\(name)): Graphviz's dot is not installed (make test installs graphviz)")
            return
        }
        var words = shellWords(try String(contentsOfFile: "\(goldenDirectory)/\(name).cmd", encoding: .utf8))
        guard let first = words.first, first == "explain" || first == "replay", !words.contains("--stats"), !words.contains("--help") else { return }
        for flag in ["--format", "--break"] { if let i = words.firstIndex(of: flag), i + 1 < words.count { words.removeSubrange(i...(i + 1)) } }
        let t = try runTracer(words + ["--format", "dot"])
        guard !t.stdout.isEmpty else { return }   // a capture that cannot be read: no frame to draw
        let source = temporaryPath("dot-\(getpid())-\(name).dot")
        try t.stdout.write(toFile: source, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: source) }
        let r = try run(path: dot, ["-Tsvg", "-o", "/dev/null", source])
        #expect(r.status == 0, "\(name): dot failed: \(r.err.prefix(300))")
        #expect(r.err.isEmpty, "\(name): dot warns: \(r.err.prefix(300))")
        #expect(t.stdout.hasPrefix("digraph "))
    }

    /// The frame's way is drawn in: a UDP datagram to a closed port goes device → PREROUTING →
    /// routing decision → INPUT → local delivery → dropped (NO_SOCKET in __udp4_lib_rcv), and its
    /// ICMP port unreachable goes out through OUTPUT and POSTROUTING.
    @Test func aClosedPortsWayAndItsAnswer() throws {
        let t = try runTracer(["explain", "Fixtures/captures/netns-sll2.pcap", "--host", "Fixtures/hosts/netns-h", "--format", "dot", "--frame", "4"])
        #expect(t.status == 0)
        #expect(t.stdout.components(separatedBy: "digraph ").count == 2, "one frame, one digraph")
        let way = ["device_in -> prerouting", "prerouting -> route_in", "route_in -> input", "input -> local", "local -> drop"]
        for (i, e) in way.enumerated() { #expect(t.stdout.contains("  \(e) [color=\"#\(e.hasSuffix("drop") ? "c0392b" : "1f618d")\", penwidth=2.5, label=\"\(i + 1)\"")) }
        #expect(t.stdout.contains("NO_SOCKET in __udp4_lib_rcv"))
        #expect(t.stdout.contains("output -> postrouting [color=\"#148f77\", penwidth=1.8, style=bold, label=\"ICMP port unreachable\""))
        #expect(!t.stdout.contains("forward -> postrouting [color"), "the FORWARD edge is not on its way")
    }
}

extension FlowDiagramTests {
    /// `--format svg`: the same diagram, drawn by Graphviz; one frame only.
    @Test func svgIsGraphvizsDrawing() throws {
        guard program("dot") != nil else {
            print("skipped: svgIsGraphvizsDrawing: Graphviz's dot is not installed")
            return
        }
        let t = try runTracer(["explain", "Fixtures/captures/netns-sll2.pcap", "--host", "Fixtures/hosts/netns-h", "--format", "svg", "--frame", "4"])
        #expect(t.status == 0)
        #expect(t.stdout.contains("<svg") && t.stdout.contains("NO_SOCKET in __udp4_lib_rcv") && t.stdout.hasSuffix("</svg>\n"))
        let many = try runTracer(["explain", "Fixtures/captures/netns-sll2.pcap", "--format", "svg"])
        #expect(many.status == 64)
        #expect(many.stderr.contains("--format svg draws one frame"))
    }
}

@Suite struct ReportTests {
    /// A report of the demo capture in a file of its own (the tests run in parallel: each call
    /// its own name, or one test's clean-up deletes the file another is opening).
    func writeDemoReport(_ name: String) throws -> String {
        let path = temporaryPath("report-\(getpid())-\(name).html")
        let t = try runTracer(["report", "Fixtures/captures/netns-sll2.pcap", "--host", "Fixtures/hosts/netns-h", "-o", path])
        #expect(t.status == 0, "\(t.stderr)")
        return path
    }

    @Test func theReportIsOneFileThatFetchesNothing() throws {
        let path = try writeDemoReport("static")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let html = try String(contentsOfFile: path, encoding: .utf8)
        for fetch in ["src=\"http", "href=\"http", "url(http", "@import", "<link ", "src=\"//"] {
            #expect(!html.contains(fetch), "the report fetches: \(fetch)")
        }
        #expect(html.contains("<div id=\"flow-diagram\"><svg"), "the diagram is Graphviz's inline SVG")
        #expect(html.components(separatedBy: "<rect class=\"bar\"").count > 1, "the drop chart has bars")
        #expect(html.contains("NO_SOCKET in __udp4_lib_rcv"))
        #expect(html.components(separatedBy: "<tr class=\"frame\"").count - 1 == 12, "a row per frame of the 12")
        // Deterministic: the same run, the same bytes.
        let again = try writeDemoReport("again")
        defer { try? FileManager.default.removeItem(atPath: again) }
        #expect(try String(contentsOfFile: again, encoding: .utf8) == html)
    }

    /// Headless Chromium loads it with no console message, runs its script (the body's
    /// data-ready is the number of rows), and its screenshot shows the diagram's blue way and
    /// the chart's red bars where they are laid out.
    @Test func chromiumOpensItCleanly() throws {
        guard let chromium = program("chromium") else {
            print("skipped: chromiumOpensItCleanly: chromium is not installed (make test installs it)")
            return
        }
        let path = try writeDemoReport("chromium")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let profile = temporaryPath("chromium-profile-\(getpid())")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                     "--user-data-dir=" + profile, "--no-first-run"]
        let dom = try run(path: chromium, flags + ["--dump-dom", "file://" + path])
        #expect(dom.status == 0)
        #expect(dom.out.contains("data-ready=\"12\""), "the page's script did not finish: \(dom.err.suffix(400))")
        let console = dom.err.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
        #expect(console.isEmpty, "console: \(console.prefix(3))")
        #expect(dom.out.contains("id=\"drop-chart-svg\""))
        let shot = temporaryPath("report-\(getpid()).png")
        defer { try? FileManager.default.removeItem(atPath: shot) }
        let s = try run(path: chromium, flags + ["--screenshot=" + shot, "--window-size=1280,1600", "file://" + path])
        #expect(s.status == 0)
        try #require(FileManager.default.fileExists(atPath: shot), "no screenshot: \(s.err.suffix(400))")
        let colours = try run(path: "/usr/bin/python3", ["Fixtures/scripts/png-colours.py", shot, "1f618d", "c0392b"], directory: packageRoot)
        try #require(colours.status == 0, "\(colours.err)")
        let counts = colours.out.split(separator: "\n").map { $0.split(separator: " ").compactMap { Int($0) } }
        // Rows of the screenshot holding each colour: the diagram's highlighted way (blue) and the
        // chart's bars (red) below it.
        let blue = counts.first { $0.count == 2 && $0[0] == 0 }.map { $0[1] } ?? 0
        let red = counts.first { $0.count == 2 && $0[0] == 1 }.map { $0[1] } ?? 0
        #expect(blue >= 200, "\(blue) blue pixels: no highlighted way in the screenshot")
        #expect(red >= 200, "\(red) red pixels: no drop bars in the screenshot")
    }
}
