// `tracer diff`: which recorded frames change fate between two hosts — a snapshot and a proposed
// one, or one host and edits of it — both models run in one pass over each capture. The fates
// compared are those `explain --format json` gives (Fate), so a golden file of that output
// stands in for the "before" host.
import ArgumentParser
import Capture
import Foundation
import HostModel
import Kernel
import Wire

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Which frames of a capture change fate between two hosts, or a host and a change to it.",
        discussion: """
        Both models run over the capture in one pass. A frame's fate is its verdict (action, drop \
        reason, function), its route (table, type, device, gateway), the rule that decided each \
        netfilter hook, the frames it makes the host emit and the socket it reaches; paths and \
        wording are not (--strict compares everything). Each frame whose fate changed is printed \
        with both outcomes, then the totals by kind of change.

        --before takes a snapshot directory, `default`, or a golden file: the output of \
        `tracer explain CAPTURE --host SNAP --format json` for the (one) capture. --after takes a \
        host too; without it the after host is the before host with the edits (--set, --nft, \
        --route, --mtu) made.

        --allow FILE lists the changes that are expected, one per line: a tcpdump filter, `=>`, \
        and the start of the new fate (`tcp dst port 23 => drop`, `* => forward`); `#` comments.

        Examples:
          tracer diff cap.pcap --before ./snap --set net.ipv4.ip_forward=0
          tracer diff cap.pcap --before ./snap --nft proposed.nft --allow expected.txt
          tracer diff cap.pcap --before golden.jsonl --after ./proposed-snap
          tracer diff cap.pcap --before ./snap --route 'ip route del default via 10.1.0.1'
          tracer diff cap.pcap --before ./snap --after-kernel 5.4

        Exit status: 0 no frame changed fate (or every change is allowed); 1 some did; 2 trouble \
        (a capture, host or file that cannot be read); 64 a malformed command line.
        """
    )

    @Argument(help: "The captures to compare over (pcap or pcapng).")
    var captures: [String]

    @Option(help: ArgumentHelp("The host before: a snapshot directory, 'default', or an `explain --format json` golden file.", valueName: "dir|default|file"))
    var before: String

    @Option(help: ArgumentHelp("The host after: a snapshot directory or 'default' (default: the before host, with the edits).", valueName: "dir|default"))
    var after: String?

    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("A sysctl of the after host (repeatable): net.ipv4.ip_forward=0.", valueName: "key=value"))
    var sets: [String] = []

    @Option(help: ArgumentHelp("The after host's ruleset, in place of the before one's: `nft -j list ruleset` output, or `nft -f` syntax (read by the real nft in a scratch namespace: root).", valueName: "file"))
    var nft: String?

    @Option(name: .customLong("route"), parsing: .singleValue, help: ArgumentHelp("A route added or deleted on the after host (repeatable): 'ip route add 10.9.0.0/16 via 10.1.0.1' or 'ip route del default'.", valueName: "command"))
    var routes: [String] = []

    @Option(name: .customLong("mtu"), parsing: .singleValue, help: ArgumentHelp("An interface's MTU on the after host (repeatable): eth1=1400.", valueName: "iface=n"))
    var mtus: [String] = []

    @Option(name: .customLong("after-kernel"), help: ArgumentHelp("The kernel the after model runs (default: --kernel's).", valueName: "kernel"))
    var afterKernel: KernelVersion?

    @OptionGroup var model: ModelOptions

    @Option(help: ArgumentHelp("Only the frames this tcpdump filter passes.", valueName: "expression"))
    var filter: String?

    @Option(help: ArgumentHelp("The interface frames arrive on when the capture does not say.", valueName: "name"))
    var iface: String?

    @Option(help: "Output format: text or json (one object per changed frame, then one of totals).")
    var format: OutputFormat = .text

    @Flag(help: "Compare every field of each frame's explanation, not only its fate.")
    var strict = false

    @Option(help: ArgumentHelp("Changes that are expected: lines of `FILTER => FATE` (see above).", valueName: "file"))
    var allow: String?

    func validate() throws {
        if format == .bt || format.isDiagram { throw ValidationError("diff prints text or json") }
        for s in sets where !s.contains("=") { throw ValidationError("--set takes key=value, not '\(s)'") }
        for m in mtus where m.split(separator: "=").count != 2 || Int(m.split(separator: "=").last!) == nil {
            throw ValidationError("--mtu takes IFACE=N, not '\(m)'")
        }
    }

    func run() throws {
        do { try compare() } catch let e as ExitCode { throw e } catch {
            reportError("\(error)")
            throw ExitCode(2)
        }
    }

    /// The edits the command line makes to the after host, in order.
    func edits() throws -> [HostEdit] {
        var out: [HostEdit] = []
        for s in sets {
            let kv = s.split(separator: "=", maxSplits: 1).map(String.init)
            out.append(.sysctl(key: kv[0], value: kv[1]))
        }
        if let nft { out.append(.ruleset(json: try Self.rulesetJSON(nft))) }
        for r in routes { out.append(try HostEdit(routeCommand: r)) }
        for m in mtus {
            let kv = m.split(separator: "=").map(String.init)
            out.append(.mtu(device: kv[0], mtu: Int(kv[1])!))
        }
        return out
    }

    /// A ruleset file as `nft -j list ruleset` shows it: JSON as it is; `nft -f` syntax loaded
    /// by the real nft into a namespace of its own and listed back (no hand-written nft parser).
    static func rulesetJSON(_ path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw DiffError("\(path): cannot read the ruleset") }
        if text.drop(while: \.isWhitespace).first == "{" { return text }
        let ns = "tracer-diff-\(getpid())"
        defer { _ = try? run(["ip", "netns", "del", ns]) }
        guard (try? run(["ip", "netns", "add", ns])) != nil else {
            throw DiffError("\(path): an `nft -f` ruleset is read by the real nft in a scratch namespace, which needs root (or give `nft -j list ruleset` output)")
        }
        do { _ = try run(["ip", "netns", "exec", ns, "nft", "-f", path]) } catch { throw DiffError("\(path): nft -f: \(error)") }
        return try run(["ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset"])
    }

    @discardableResult
    static func run(_ argv: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw DiffError(String(decoding: e, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "\(argv[0]) failed")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The before side: a host, or a golden file's fates by frame number.
    enum Side {
        case host(HostModel.Host)
        case golden([Int: Fate])
    }

    func compare() throws {
        var beforeSide: Side
        let isFile = FileManager.default.fileExists(atPath: before) && !Self.isDirectory(before)
        if isFile {
            guard captures.count == 1 else { throw DiffError("\(before): a golden file is one capture's explanation; give one capture") }
            beforeSide = .golden(try Self.goldenFates(before, strict: strict))
        } else {
            do { beforeSide = .host(try HostModel.Host.load(before)) } catch { throw DiffError("host snapshot \(error)") }
        }
        var afterHost: HostModel.Host
        if let after = self.after {
            do { afterHost = try HostModel.Host.load(after) } catch { throw DiffError("host snapshot \(error)") }
        } else if case .host(let h) = beforeSide {
            afterHost = h
        } else {
            throw DiffError("--before \(before) is a golden file: give --after a host")
        }
        let changes = try edits()
        do { afterHost = try afterHost.applying(changes) } catch { throw DiffError("\(error)") }
        if case .host(let h) = beforeSide, h == afterHost, afterKernel == nil || afterKernel == model.kernel, !strict {
            // Identical models: nothing can change (still every frame is read, for its errors).
        }
        let allowed = try allow.map { try AllowList(path: $0) }
        let out = Output()
        defer { out.flush() }
        var totals = DiffTotals()
        for capture in captures {
            try diff(capture: capture, before: beforeSide, after: afterHost, allowed: allowed, totals: &totals, out: out)
        }
        for l in totals.lines(json: format == .json) { out.line(l) }
        out.flush()
        if totals.unallowed > 0 { throw ExitCode(1) }
    }

    func makeModel(_ host: HostModel.Host, kernel: KernelVersion) -> FrameModel {
        let k = Kernel(host: host, profile: Profile(kernel: kernel, driver: model.driver ?? .veth, driverIsExplicit: model.driver != nil))
        k.readers = model.readers
        k.serviceTime = model.serviceTime
        let m = FrameModel(host: host, kernel: k, direction: .rx, send: SendOptions(), fallbackInterface: iface,
                           witness: Witness(capacity: 4096, checksAnswers: filter == nil, checksSends: true))
        m.whyNot = WhyNot(host: host, profile: k.profile)
        return m
    }

    func diff(capture: String, before: Side, after: HostModel.Host, allowed: AllowList?, totals: inout DiffTotals, out: Output) throws {
        let reader: CaptureReader
        do { reader = try CaptureReader(path: capture) } catch { throw DiffError("\(error)") }
        let pf: PacketFilter?
        do { pf = try filter.map { try PacketFilter(expression: $0, linkType: reader.linkType, snapLength: reader.snapLength) } }
        catch { throw DiffError("\(error)") }
        let allowFilters = try allowed?.compiled(linkType: reader.linkType, snapLength: reader.snapLength) ?? []
        var beforeModel: FrameModel? = nil
        var golden: [Int: Fate] = [:]
        switch before {
        case .host(let h): beforeModel = makeModel(h, kernel: model.kernel)
        case .golden(let g): golden = g
        }
        let afterModel = makeModel(after, kernel: afterKernel ?? model.kernel)
        let parts = Render.JSONParts()
        func fate(_ m: FrameModel, _ frame: CapturedFrame, summary: String) -> Fate {
            let placed = m.place(frame, linkType: reader.linkType)
            let (report, matched, _) = m.explain(frame, placed, linkType: reader.linkType, breakpoint: nil)
            m.witnessed(frame, placed, report: report, matched: matched, linkType: reader.linkType)
            m.witness.release { _, _ in }
            let header = FrameHeader(number: frame.number, time: frame.timestamp.description,
                                     iface: placed.dir == .tx ? (report.iface != "?" ? report.iface : placed.iface?.name ?? "?") : placed.iface?.name ?? "?",
                                     dir: placed.dir.rawValue, length: frame.wireLength, summary: summary)
            let bytes = Render.jsonBytes(header, report, kernel: m.kernel.profile.kernel, paths: parts)
            let o = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
            return Fate(json: o, strict: strict)
        }
        while true {
            let frame: CapturedFrame?
            do { frame = try reader.next() } catch { throw DiffError("\(error)") }
            guard let frame else { break }
            if let pf, !pf.matches(frame) { continue }
            let summary = Dissection(frame.bytes, linkType: reader.linkType, wireLength: frame.wireLength).summary
            let a = fate(afterModel, frame, summary: summary)
            let b: Fate
            if let beforeModel { b = fate(beforeModel, frame, summary: summary) }
            else if let g = golden[frame.number] { b = g }
            else { throw DiffError("\(self.before): no frame \(frame.number) (is it the explanation of \(capture)?)") }
            totals.compared += 1
            let changed = b.changes(to: a)
            guard !changed.isEmpty else { continue }
            let kind = a.changeKind(from: b)
            let ok = allowFilters.contains { $0.matches(frame, fate: a) }
            totals.add(kind: kind, allowed: ok)
            if format == .json {
                var o = JSONObject()
                o.add("capture", capture); o.add("frame", frame.number); o.add("summary", summary)
                o.addRaw("before", b.json()); o.addRaw("after", a.json())
                o.addStrings("changed", changed); o.add("allowed", ok)
                if let w = a.whyNot { o.add("why_not", w) }
                out.line(o.closed())
            } else {
                out.line("\((capture as NSString).lastPathComponent) frame \(frame.number): \(summary)" + (ok ? "  (allowed)" : ""))
                out.line("  before: \(b.text)")
                out.line("  after:  \(a.text)")
                if let w = a.whyNot { out.line("  why-not: \(w)") }
                out.line("  changed: \(changed.joined(separator: ", "))")
            }
        }
        beforeModel?.witness.finish { _, _ in }
        afterModel.witness.finish { _, _ in }
    }

    static func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }

    /// The fates of an `explain --format json` file, by frame.
    static func goldenFates(_ path: String, strict compareAll: Bool) throws -> [Int: Fate] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw DiffError("\(path): cannot read") }
        var out: [Int: Fate] = [:]
        for (i, line) in text.split(separator: "\n").enumerated() where line.first == "{" {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], let n = o["frame"] as? Int else {
                throw DiffError("\(path):\(i + 1): not a frame of `tracer explain --format json`")
            }
            out[n] = Fate(json: o, strict: compareAll)
        }
        guard !out.isEmpty else { throw DiffError("\(path): no frames (expected `tracer explain --format json` output)") }
        return out
    }
}

struct DiffError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// --allow: expected changes, `FILTER => FATE` a line.
struct AllowList {
    struct Entry { let filter: String; let fate: String }
    let entries: [Entry]

    init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw DiffError("\(path): cannot read") }
        var e: [Entry] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            guard let arrow = line.range(of: "=>") else { throw DiffError("\(path):\(i + 1): expected `FILTER => FATE`") }
            e.append(Entry(filter: line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces),
                           fate: line[arrow.upperBound...].trimmingCharacters(in: .whitespaces)))
        }
        entries = e
    }

    struct Compiled {
        let filter: PacketFilter?
        let fate: String
        func matches(_ frame: CapturedFrame, fate f: Fate) -> Bool {
            (filter?.matches(frame) ?? true) && f.text.hasPrefix(fate)
        }
    }

    func compiled(linkType: LinkType, snapLength: Int) throws -> [Compiled] {
        try entries.map { e in
            let pf: PacketFilter?
            if e.filter.isEmpty || e.filter == "*" { pf = nil } else {
                do { pf = try PacketFilter(expression: e.filter, linkType: linkType, snapLength: snapLength) }
                catch { throw DiffError("--allow: \(e.filter): \(error)") }
            }
            return Compiled(filter: pf, fate: e.fate)
        }
    }
}

/// Frames compared and changed, by kind of change.
struct DiffTotals {
    var compared = 0, changed = 0, unallowed = 0
    var kinds: [(kind: String, count: Int)] = []

    mutating func add(kind: String, allowed: Bool) {
        changed += 1
        if !allowed { unallowed += 1 }
        if let i = kinds.firstIndex(where: { $0.kind == kind }) { kinds[i].count += 1 } else { kinds.append((kind, 1)) }
    }

    func lines(json: Bool) -> [String] {
        let sorted = kinds.sorted { $0.count != $1.count ? $0.count > $1.count : $0.kind < $1.kind }
        if json {
            var o = JSONObject()
            o.add("compared", compared); o.add("changed", changed); o.add("unallowed", unallowed)
            o.addObjects("kinds", sorted) { j, k in j.add("kind", k.kind); j.add("frames", k.count) }
            return [o.closed()]
        }
        var out = ["\(compared) frame\(compared == 1 ? "" : "s") compared, \(changed) changed fate" + (changed > unallowed ? " (\(changed - unallowed) allowed)" : "")]
        out += sorted.map { "  \($0.count) frame\($0.count == 1 ? "" : "s") \($0.kind)" }
        return out
    }
}
