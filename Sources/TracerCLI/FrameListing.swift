// Reads a capture frame by frame and explains each: the loop `explain` and `replay` share.
// Streaming: one frame in memory at a time (a second pass only when the host is inferred).
import ArgumentParser
import DequeModule
import Capture
import HostModel
import Kernel
import Wire
#if canImport(Glibc)
import Glibc
#endif

enum Direction: String { case rx, tx }

struct FrameListing {
    let options: CaptureOptions
    let direction: Direction
    var send = SendOptions()
    /// -w: every frame the host emits is written here.
    var writePath: String? = nil
    /// `tracer report`: frames go here, with the host's description, instead of to stdout.
    var collector: ReportCollector? = nil

    func run() throws {
        let reader: CaptureReader
        do { reader = try CaptureReader(path: options.capture) } catch { throw fail(error.description) }
        var filter: PacketFilter? = nil
        if let expression = options.filterExpression {
            do { filter = try PacketFilter(expression: expression, linkType: reader.linkType, snapLength: reader.snapLength) }
            catch { throw fail(error.description) }
        }
        let out = Output()
        defer { out.flush() }
        let palette = Palette(fd: 1)
        var host: Host
        if let spec = options.host {
            do { host = try Host.load(spec) } catch { throw fail("host snapshot \(error)") }
            if options.infer {
                let (inferred, _) = try inferHost()
                let (completed, notes) = host.completed(from: inferred)
                host = completed
                let lines = ["\(spec) completed from the capture (--infer):"] + (notes.isEmpty ? ["nothing to add"] : notes).map { "  " + $0 }
                if let collector { collector.hostLines(lines) } else if options.format == .json || options.format.isDiagram {
                    for l in lines { reportError(l) }
                } else {
                    for l in lines { out.line(palette.dim(l)) }
                    out.line("")
                }
            }
        } else {
            let (inferred, notes) = try inferHost()
            host = inferred
            let lines = ["host inferred from the capture (choose one with --host DIR|default):"] + notes.map { "  " + $0 }
            if let collector { collector.hostLines(lines) } else if options.format == .json || options.format.isDiagram {
                for l in lines { reportError(l) }
            } else {
                for l in lines { out.line(palette.dim(l)) }
                out.line("")
            }
        }
        if let name = options.iface, host.interface(named: name) == nil {
            throw fail("--iface \(name): no such interface on host \(host.origin)")
        }
        if !host.ruleset.unsupported.isEmpty {
            reportError("\(host.origin): ruleset: not modelled, so rules holding them never match: " + host.ruleset.unsupported.joined(separator: ", "))
        }
        collector?.hostLines(HostDescription.lines(host))
        let kernel = Kernel(host: host, profile: options.model.profile)
        kernel.readers = options.model.readers
        kernel.serviceTime = options.model.serviceTime
        kernel.recordsStacks = !options.stats
        var writer: CaptureWriter? = nil
        if let path = writePath {
            do { writer = try CaptureWriter(path: path, linkType: .ethernet) } catch { throw fail(error.description) }
        }
        let model = FrameModel(host: host, kernel: kernel, direction: direction, send: send, fallbackInterface: options.iface,
                               witness: Witness(capacity: options.stats ? 65_536 : 4096, checksAnswers: filter == nil, checksSends: direction == .rx))
        if !options.stats && options.format != .bt && !options.format.isDiagram { model.whyNot = WhyNot(host: host, profile: options.model.profile) }
        let progress = Progress()
        var totals = Totals()
        var shown = 0
        var contradicted: [Int] = []
        // The options the loop reads, read once: each read of an argument-parser property goes
        // through its property wrapper (a runtime type lookup), thousands of instructions a frame.
        let stats = options.stats, format = options.format, breakpoint = options.breakpoint
        let count = options.count, only = options.frame
        let output = FrameOutput(out: out, renderer: FrameRenderer(format: format, palette: palette, kernel: options.kernel, breakpoint: breakpoint),
                                 jobs: stats || collector != nil ? 1 : options.jobs)
        let threaded = output.isThreaded, summarises = !stats && !threaded
        // A frame is printed once the capture has had its chance to show what the model predicts
        // for it (the witness holds it a quarter of a second of capture time), with what the
        // witness found.
        var pending = Deque<Pending>()
        func released(_ number: Int, _ findings: [WitnessFinding]) {
            if stats {
                if findings.contains(where: { $0.kind == .contradiction }) { contradicted.append(number) }
                totals.addWitness(findings)
                return
            }
            let next = pending.popFirst()
            if case .skipped = next { return }
            if findings.contains(where: { $0.kind == .contradiction }) { contradicted.append(number) }
            switch consume next {   // moved out, not copied (a held frame is two dozen references)
            case .rendered(let r): output.add(r, findings: findings)
            case .explained(var f):
                if let collector { f.findings = findings; collector.add(f) } else { output.add(f, findings: findings) }
            case .skipped, nil: return
            }
        }
        while true {
            let frame: CapturedFrame?
            do { frame = try reader.next() } catch {
                model.witness.finish(released)
                output.finish()
                out.flush()
                progress.finish()
                throw fail(error.description)
            }
            guard let frame else { break }
            progress.tick(frame.number)
            if let filter, !filter.matches(frame) { continue }
            let placed = model.place(frame, linkType: reader.linkType)
            let (dir, iface, time) = (placed.dir, placed.iface, placed.time)
            if count.map({ shown >= $0 }) ?? false || only.map({ frame.number > $0 }) ?? false {
                // Past -c or --frame: frames are read only for what the shown ones still wait for.
                if model.witness.isEmpty { break }
                if dir == .tx { model.witness.observe(frame.bytes, linkType: reader.linkType, iface: iface?.name, time: time) }
                else { model.witness.observe(time: time) }
                model.witness.release(released)
                continue
            }
            let summary = summarises ? FrameRenderer.summary(frame.bytes, linkType: reader.linkType, wireLength: frame.wireLength) : ""
            let (report, matched, modelBytes) = model.explain(frame, placed, linkType: reader.linkType, breakpoint: breakpoint)
            if let writer { for e in report.emitted { writer.write(e.bytes, timestamp: frame.timestamp) } }
            // The witness sees the report first, so that a held frame can take it over (moved, not
            // copied); it is released below, once the frame is pending.
            model.witnessed(frame, placed, report: report, matched: matched, linkType: reader.linkType)
            if stats {
                totals.add(report)
            } else if let only, frame.number != only {
                pending.append(.skipped)   // before --frame: modelled for the state it leaves, not printed
            } else {
                let header = FrameHeader(number: frame.number, time: threaded ? "" : frame.timestamp.description,
                                         iface: dir == .tx ? (report.iface != "?" ? report.iface : iface?.name ?? "?") : iface?.name ?? "?",
                                         dir: dir.rawValue, length: frame.wireLength, summary: summary)
                if collector != nil {
                    pending.append(.explained(ExplainedFrame(header: header, unsummarised: nil, report: report.compacted(), findings: [])))
                } else if threaded {
                    // Held until the witness releases it, sharing the model's per-frame buffers:
                    // the model's next frame starts in new ones (removeAll(keepingCapacity:) on a
                    // shared buffer), which costs what the copy it replaced cost without copying
                    // (a tenth of the model thread's time). With glibc's malloc the held buffers'
                    // spare capacity made RSS grow 1.6 KB a frame; with jemalloc it stays flat
                    // (43 MiB at 20,000 bench frames, 45 MiB at 200,000).
                    pending.append(.explained(ExplainedFrame(header: header, unsummarised: (modelBytes ?? Array(frame.bytes), reader.linkType, frame.wireLength, frame.timestamp),
                                                             report: consume report, findings: [])))
                } else {
                    pending.append(.rendered(output.renderer.rendered(header, report)))
                }
            }
            model.witness.release(released)
            if only == nil || frame.number == only { shown += 1 }
        }
        model.witness.finish(released)
        output.finish()
        progress.finish()
        if let writer {
            do { try writer.close() } catch { throw fail(error.description) }
        }
        if let collector {
            collector.finish(load: LoadSection(load: kernel.loadReport(), icmpHost: collector.totals.total(.IcmpOutRateLimitHost),
                                               icmp6Host: collector.totals.total(.Icmp6OutRateLimitHost), icmpGlobal: collector.totals.total(.IcmpOutRateLimitGlobal)))
        } else if options.stats {
            totals.load = LoadSection(load: kernel.loadReport(), icmpHost: totals.total(.IcmpOutRateLimitHost),
                                      icmp6Host: totals.total(.Icmp6OutRateLimitHost), icmpGlobal: totals.total(.IcmpOutRateLimitGlobal))
            for l in totals.lines(json: options.format == .json) { out.line(l) }
        }
        else if !contradicted.isEmpty {
            out.flush()
            let list = contradicted.prefix(20).map(String.init).joined(separator: ", ") + (contradicted.count > 20 ? ", …" : "")
            reportError("witness: the capture contradicts the explanation of \(contradicted.count) frame\(contradicted.count == 1 ? "" : "s") (\(list)): see their witness lines"
                        + (options.host.map { " — is \($0) the host the capture was taken on, and as it was then? (without --host the host is inferred from the capture)" } ?? ""))
        }
    }

    /// A frame waiting for the witness: rendered already (`--jobs 1`), or to be rendered on
    /// another thread.
    enum Pending {
        case rendered(FrameRenderer.Rendered)
        case explained(ExplainedFrame)
        /// A frame before `--frame`'s.
        case skipped
    }

    /// A JSON frame object with its (empty) `witness` array replaced. The key appears once, outside
    /// any string (a string's quotes inside it would be escaped).
    static func splice(_ object: [UInt8], witness: [UInt8]) -> [UInt8] {
        let key = Array(#""witness":[]"#.utf8)
        guard object.count >= key.count, let at = (0...(object.count - key.count)).first(where: { i in
            object[i] == key[0] && object[i..<(i + key.count)].elementsEqual(key) }) else { return object }
        return Array(object[..<(at + key.count - 2)]) + witness + Array(object[(at + key.count)...])
    }

    /// Why a snapped frame cannot be modelled: the cut falls inside the headers the kernel reads
    /// (the link header, IPv4's or ARP's, or the first 8 bytes of TCP, UDP or ICMP). Nil when
    /// they are all there.
    static func snapCut(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> String? {
        guard case .success(let link) = LinkFrame.decode(bytes, as: linkType) else {
            return "the capture cut this frame inside its link-layer header: not modelled"
        }
        let net = link.network
        switch link.networkProtocol {
        case .arp where net.count < 28:
            return "the capture cut this frame inside its ARP header: not modelled"
        case .ipv4:
            let transport = net.count < 20 || net.u16(6) & 0x1fff != 0 ? 0 : net.u8(9) == 6 ? 20 : 8
            guard net.count >= 20, net.count >= Int(net.u8(0) & 0x0f) * 4 + transport else {
                return "the capture cut this frame inside its IPv4 or transport header (\(net.count) bytes of it): not modelled"
            }
            return nil
        default:
            return nil
        }
    }

    /// The first pass: a host from what the whole capture shows (the filter and -c choose what
    /// is explained, not what the host is). A read error ends the pass; the second pass reports it.
    func inferHost() throws -> (Host, [String]) {
        let reader: CaptureReader
        do { reader = try CaptureReader(path: options.capture) } catch { throw fail(error.description) }
        var inference = HostInference()
        while let frame = try? reader.next() {
            inference.add(frame.bytes, linkType: reader.linkType,
                          time: Double(frame.timestamp.seconds) + Double(frame.timestamp.nanoseconds) / 1e9, wireLength: frame.wireLength)
        }
        return inference.host(driver: options.driver.rawValue)
    }
}

/// Which interface a frame arrived on: the one the capture names (SLL2 ifindex), else the one
/// whose MAC is the frame's destination, else --iface, else the host's first non-loopback one.
struct ArrivalInterface {
    let host: Host
    let fallback: Interface?

    init(host: Host, fallback: String?) {
        self.host = host
        self.fallback = fallback.flatMap { host.interface(named: $0) } ?? host.firstNonLoopback ?? host.interfaces.first
    }

    /// Which interface the capture shows a frame the host sends leaving by: its interface index,
    /// else the one with the frame's source MAC (nil: the output route decides).
    func departure(for link: LinkFrame?) -> Interface? {
        if let idx = link?.interfaceIndex, let i = host.interface(index: Int(idx)) { return i }
        if let src = link?.ethernet?.source ?? link?.linkSource, let i = host.interface(mac: src) { return i }
        return nil
    }

    func interface(for link: LinkFrame?) -> Interface? {
        if let idx = link?.interfaceIndex, let i = host.interface(index: Int(idx)) { return i }
        if let dst = link?.ethernet?.destination, let i = host.interface(mac: dst) { return i }
        return fallback
    }
}

/// Progress on standard error for long runs, only when it is a terminal.
final class Progress {
    private let enabled = isatty(2) == 1
    private var last = 0.0
    private var shown = false

    func tick(_ n: Int) {
        guard enabled, n & 0xffff == 0 else { return }
        let now = Self.seconds()
        if now - last >= 1 {
            last = now
            shown = true
            reportProgress("\r\(n) frames…")
        }
    }

    func finish() { if shown { reportProgress("\r\u{1b}[K") } }

    private func reportProgress(_ s: String) {
        var s = s
        s.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// `--stats`: the totals of a run.
struct Totals {
    var frames = 0
    /// By verdict action, in the order first seen (a handful: searched, not hashed).
    var actionCounts: [(VerdictAction, Int)] = []
    /// By drop reason and function, in the order first seen (a few dozen at most: searched, not
    /// hashed; hashing two strings a frame was a twentieth of `--stats`' model time).
    struct DropSite: Equatable { let reason: String?; let function: String }
    var dropCounts: [(DropSite, Int)] = []
    /// By counter id; `bumped` tells a counter bumped by 0 from one never bumped.
    var counterTotals = [Int](repeating: 0, count: SNMPCounter.count)
    var bumped = [Bool](repeating: false, count: SNMPCounter.count)
    /// Frames the capture contradicts, and frames whose predicted answers it ends before showing.
    var contradicted = 0, unconfirmed = 0
    /// The queues' story (made once the run is over).
    var load: LoadSection?

    func total(_ c: SNMPCounter) -> Int { counterTotals[c.index] }

    mutating func addWitness(_ findings: [WitnessFinding]) {
        if findings.contains(where: { $0.kind == .contradiction }) { contradicted += 1 }
        else if findings.contains(where: { $0.kind == .unconfirmed }) { unconfirmed += 1 }
    }

    mutating func add(_ r: FrameReport) {
        frames += 1
        if let i = actionCounts.firstIndex(where: { $0.0 == r.verdict.action }) { actionCounts[i].1 += 1 } else { actionCounts.append((r.verdict.action, 1)) }
        if r.verdict.action == .drop {
            let site = DropSite(reason: r.verdict.reason, function: r.verdict.function)
            if let i = dropCounts.firstIndex(where: { $0.0 == site }) { dropCounts[i].1 += 1 } else { dropCounts.append((site, 1)) }
        }
        r.counters.forEach { c, n in
            counterTotals[c.index] += n
            bumped[c.index] = true
        }
    }

    var actions: [String: Int] { Dictionary(actionCounts.map { ($0.0.rawValue, $0.1) }, uniquingKeysWith: +) }
    var drops: [String: Int] { Dictionary(dropCounts.map { ("\($0.0.reason ?? "-") in \($0.0.function)", $0.1) }, uniquingKeysWith: +) }
    var counters: [String: Int] {
        Dictionary(uniqueKeysWithValues: bumped.indices.filter { bumped[$0] }.map { (SNMPCounter(index: $0).name, counterTotals[$0]) })
    }

    func lines(json: Bool) -> [String] {
        if json {
            var o = JSONObject()
            o.add("frames", frames)
            var a = JSONObject(); for (k, v) in actions.sorted(by: { $0.key < $1.key }) { a.add(named: k, v) }
            var d = JSONObject(); for (k, v) in drops.sorted(by: { $0.key < $1.key }) { d.add(named: k, v) }
            var c = JSONObject(); for (k, v) in counters.sorted(by: { $0.key < $1.key }) { c.add(named: k, v) }
            o.addRaw("verdicts", a.closed()); o.addRaw("drops", d.closed()); o.addRaw("counters", c.closed())
            var w = JSONObject(); w.add("contradicted", contradicted); w.add("unconfirmed", unconfirmed)
            o.addRaw("witness", w.closed())
            if let load, !load.isEmpty { o.addRaw("load", load.json()) }
            return [o.closed()]
        }
        var out = ["frames \(frames)", "verdicts:"]
        out += actions.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "  \($0.key) \($0.value)" }
        out.append("drops:")
        out += drops.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "  \($0.key) \($0.value)" }
        out.append("counters:")
        out += counters.sorted { $0.key < $1.key }.map { "  \($0.key) \($0.value)" }
        out += ["witness:", "  contradicted \(contradicted)", "  unconfirmed \(unconfirmed)"]
        if let load, !load.isEmpty { out += load.lines }
        return out
    }
}
