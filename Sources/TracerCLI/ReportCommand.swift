// `tracer report CAPTURE... -o report.html`: one self-contained HTML page of a run — the host,
// totals by verdict and drop reason, the packet-flow diagram with the frames on each edge, the
// drop reasons over the capture's time, the witness's contradictions and the load findings, and
// a filterable table of frames whose rows open each frame's explanation and path.
// Aggregates as it streams: a million-frame capture costs its counters, a per-second drop
// histogram and a bounded sample of frame rows (the first `--rows`, then drops and contradicted
// frames up to as many again), never the frames themselves.
import ArgumentParser
import Foundation
import HostModel
import Kernel

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report of what the kernel did with a capture.",
        discussion: """
        The report holds the host the frames were explained on (a snapshot, or inferred from the \
        capture), the frames by verdict and by drop reason, the kernel's packet-flow diagram \
        (PREROUTING → routing decision → INPUT / FORWARD → OUTPUT → POSTROUTING) with the number \
        of frames on each edge (drawn by Graphviz's dot), the drop reasons over the capture's \
        time, the witness's contradictions and the load findings, and a table of frames to \
        filter, each row opening that frame's explanation and path. Nothing is fetched from the \
        network when it is opened. Several captures are explained one after the other, each on \
        the host given (or on the host inferred from it), and reported together.

        Examples:
          tracer report capture.pcap -o report.html
          tracer report a.pcap b.pcap --host ./snap -o report.html --rows 500
        """
    )

    @Argument(help: "The captures to read (pcap or pcapng).")
    var captures: [String]

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("The host: a snapshot directory, or 'default'. Without it, each capture's host is inferred from it.", valueName: "dir|default"))
    var host: String?

    @Option(help: ArgumentHelp("Frame rows kept in the table: the first <n> frames, then drops and contradicted frames up to <n> more.", valueName: "n"))
    var rows = 2000

    @OptionGroup var model: ModelOptions

    func validate() throws {
        if rows < 0 { throw ValidationError("--rows takes a number of rows, 0 or more") }
    }

    func run() throws {
        let collector = ReportCollector(rowLimit: rows)
        for capture in captures {
            var args = [capture, "--kernel", model.kernel.rawValue, "--service-time", model.serviceTimeText]
            if let d = model.driver { args += ["--driver", d.rawValue] }
            for r in model.readerSpecs { args += ["--reader", r] }
            if let host { args += ["--host", host] }
            let options: CaptureOptions
            do { options = try CaptureOptions.parse(args) } catch { throw fail("\(capture): \(CaptureOptions.message(for: error))") }
            collector.begin(capture: capture)
            var listing = FrameListing(options: options, direction: .rx)
            listing.collector = collector
            try listing.run()
        }
        let html = ReportHTML(collector, version: TracerCommand.version).document()
        do { try html.write(toFile: output, atomically: true, encoding: .utf8) }
        catch { throw fail("\(output): cannot write the report: \(error.localizedDescription)") }
    }
}

/// What a report keeps of a run, frame by frame, in bounded memory.
final class ReportCollector {
    struct Capture { var path: String; var hostLines: [String] = []; var frames = 0; var contradicted: [Int] = [] }
    struct Row {
        var capture: Int
        var number: Int
        var time: String
        var iface: String
        var dir: String
        var summary: String
        var verdict: String
        var action: VerdictAction
        var witness: Bool
        var explanation: [String]
        var path: String
    }
    struct Contradiction { var capture: Int; var frame: Int; var finding: WitnessFinding }

    let rowLimit: Int
    var captures: [Capture] = []
    var totals = Totals()
    /// Frames on each edge of the flow diagram (`FlowDot.key`).
    var edges: [String: Int] = [:]
    /// Drops per second of capture time, by drop site (`reason in function`).
    var dropsBySecond: [Int64: [String: Int]] = [:]
    var firstSecond: Int64?, lastSecond: Int64?
    var rows: [Row] = []
    var rowsLeftOut = 0
    var contradictions: [Contradiction] = []
    var contradictionsLeftOut = 0
    var loadLines: [String] = []
    private let palette = Palette(fd: -1)
    private let parts = Render.TextParts()

    init(rowLimit: Int) { self.rowLimit = rowLimit }

    func begin(capture: String) { captures.append(Capture(path: capture)) }

    func hostLines(_ lines: [String]) { captures[captures.count - 1].hostLines += lines }

    func add(_ f: ExplainedFrame) {
        let r = f.report
        let c = captures.count - 1
        captures[c].frames += 1
        totals.add(r)
        totals.addWitness(f.findings)
        let way = FlowWay(r, direction: Direction(rawValue: f.header.dir) ?? .rx)
        for (a, b) in way.edges { edges[FlowDot.key(a, b), default: 0] += 1 }
        let second = Int64(f.header.time.prefix { $0 != "." }) ?? 0
        firstSecond = min(firstSecond ?? second, second)
        lastSecond = max(lastSecond ?? second, second)
        if r.verdict.action == .drop {
            dropsBySecond[second, default: [:]]["\(r.verdict.reason ?? "-") in \(r.verdict.function)", default: 0] += 1
        }
        let contradicted = f.findings.contains { $0.kind == .contradiction }
        if contradicted {
            captures[c].contradicted.append(f.header.number)
            for finding in f.findings where finding.kind == .contradiction {
                if contradictions.count < 500 { contradictions.append(Contradiction(capture: c, frame: f.header.number, finding: finding)) }
                else { contradictionsLeftOut += 1 }
            }
        }
        // The first rowLimit frames, then the ones worth a look (drops, contradictions).
        let interesting = r.verdict.action == .drop || r.verdict.action == .error || r.verdict.action == .fail || contradicted
        guard rows.count < rowLimit || (interesting && rows.count < 2 * rowLimit) else { rowsLeftOut += 1; return }
        var report = r
        report.witness = f.findings
        var v = r.verdict.action.rawValue
        if let reason = r.verdict.reason { v += " " + reason }
        if let e = r.verdict.errno { v += " " + e }
        if !r.verdict.function.isEmpty { v += " in " + r.verdict.function }
        rows.append(Row(capture: c, number: f.header.number, time: f.header.time, iface: f.header.iface, dir: f.header.dir,
                        summary: f.header.summary, verdict: v, action: r.verdict.action, witness: contradicted,
                        explanation: Render.text(f.header, report, palette: palette, parts: parts),
                        path: r.path.map { String(repeating: "  ", count: $0.depth) + $0.function }.joined(separator: "\n")))
    }

    func finish(load: LoadSection?) {
        if let load, !load.isEmpty {
            loadLines += (captures.count > 1 ? ["\(captures[captures.count - 1].path):"] : []) + load.lines
        }
    }
}
