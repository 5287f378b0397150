// A FrameReport as text (80 columns), as one JSON object, or as a gdb-style backtrace.
import Kernel
import HostModel
import Wire

struct FrameHeader {
    var number: Int
    var time: String
    var iface: String
    var dir: String
    var length: Int
    var summary: String
    var text: String { "\(number) \(time) \(iface) \(dir) \(summary)" }
}

enum Render {
    static let labelWidth = 10

    // MARK: text

    /// `witnessSlot` is told where the witness lines go (for findings that come later).
    static func text(_ h: FrameHeader, _ r: FrameReport, palette: Palette, parts: TextParts = TextParts(),
                     witnessSlot: ((Int) -> Void)? = nil) -> [String] {
        var bytes: [UInt8] = []
        let slot = text(h, r, palette: palette, parts: parts, into: &bytes)
        witnessSlot?(lines(bytes[..<slot]).count)
        return lines(bytes[...])
    }

    /// Newline-ended UTF-8 lines as strings.
    static func lines(_ bytes: ArraySlice<UInt8>) -> [String] {
        bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }

    /// The frame's text, each line ending in a newline, appended to `out`; returns the offset in
    /// `out` where the witness's lines go (for findings that come later). Written as bytes, with
    /// the parts frames of one kind share (`TextParts`) kept as bytes: lines built as strings,
    /// joined and copied out again were a third of the text output's time.
    static func text(_ h: FrameHeader, _ r: FrameReport, palette: Palette, parts: TextParts, into out: inout [UInt8]) -> Int {
        for t in r.timers { appendField("timer", t, to: &out) }
        if palette.enabled {
            appendLine(palette.bold(h.text), to: &out)
        } else {
            // `number time iface dir summary`, as FrameHeader.text, without the string.
            appendDecimal(h.number, to: &out); out.append(UInt8(ascii: " "))
            for piece in [h.time, h.iface, h.dir] { append(piece, to: &out); out.append(UInt8(ascii: " ")) }
            appendLine(h.summary, to: &out)
        }
        out += parts.verdict.value(for: r.verdict) { v in
            var verdict = v.action.rawValue
            if let reason = v.reason { verdict += " " + reason }
            if let errno = v.errno { verdict += " " + errno }
            if !v.function.isEmpty { verdict += " in \(v.function)" }
            let coloured = v.action == .drop || v.action == .error || v.action == .fail ? palette.red(verdict) : palette.green(verdict)
            // The value as bytes (not one more string the length of the detail).
            var value: [UInt8] = []
            value.reserveCapacity(coloured.utf8.count + 2 + v.detail.utf8.count)
            append(coloured, to: &value)
            value.append(UInt8(ascii: ":")); value.append(UInt8(ascii: " "))
            append(v.detail, to: &value)
            var b: [UInt8] = []
            value.withUnsafeBufferPointer { appendField("verdict", bytes: $0, to: &b) }
            return b
        }
        if let w = r.whyNot { appendField("why-not", w, to: &out) }
        let slot = out.count
        for w in r.witness { appendWitness(w, palette: palette, to: &out) }
        if let s = r.socket { appendField("socket", s, to: &out) }
        if let rt = r.route {
            out += parts.route.value(for: rt) { var b: [UInt8] = []; appendField("route", routeText($0), to: &b); return b }
        }
        if let fr = r.fragment {
            appendField("fragment", "\(fr.outcome): \(fr.datagram) bytes \(fr.offset)–\(fr.offset + fr.length)\(fr.more ? "+" : ""); \(fr.detail)", to: &out)
        }
        out += parts.netfilter.value(for: r.netfilter) { netfilter in
            var groups: [(String?, [HookPass])] = []
            for h in netfilter {
                if let last = groups.last, last.0 == h.packet { groups[groups.count - 1].1.append(h) } else { groups.append((h.packet, [h])) }
            }
            var b: [UInt8] = []
            for (packet, hs) in groups { appendField("netfilter", (packet.map { "(\($0)) " } ?? "") + hs.map(hookText).joined(separator: " → "), to: &b) }
            return b
        }
        for e in r.emitted { appendField("emit", "\(e.iface) \(summary(e.bytes))", to: &out) }
        if !r.counters.isEmpty {
            // Sorted by name, as nstat sorts them; the order is worked out once for each set of
            // counters (frames of one kind bump the same ones, by other amounts), each item
            // (`Name +n`) written as bytes and wrapped as `wrapped` wraps.
            let deltas = r.counters.bumpedDeltas
            let order = parts.counterOrder.value(for: r.counters.bumpedCounters, make: counterOrder)
            parts.items.removeAll(keepingCapacity: true)
            parts.itemEnds.removeAll(keepingCapacity: true)
            for (name, i) in order {
                append(name, to: &parts.items)
                parts.items.append(UInt8(ascii: " "))
                if deltas[i] >= 0 { parts.items.append(UInt8(ascii: "+")) }
                appendDecimal(deltas[i], to: &parts.items)
                parts.itemEnds.append(parts.items.count)
            }
            appendWrapped("counters", items: parts.items, ends: parts.itemEnds, separator: ", ", to: &out)
        }
        out += parts.path.value(for: r.path) { path in
            parts.items.removeAll(keepingCapacity: true)
            parts.itemEnds.removeAll(keepingCapacity: true)
            for p in path { append(p.function, to: &parts.items); parts.itemEnds.append(parts.items.count) }
            var b: [UInt8] = []
            appendWrapped("path", items: parts.items, ends: parts.itemEnds, separator: " › ", to: &b)
            return b
        }
        return slot
    }

    /// Items joined by `separator` and wrapped to 80 columns under the label, appended as
    /// newline-ended UTF-8: the items as bytes (`items`, the item before `ends[k]` the k-th, kept
    /// by the caller for their storage). A line that breaks ends in the separator less its
    /// trailing space.
    static func appendWrapped(_ label: String, items: [UInt8], ends: [Int], separator: StaticString, to out: inout [UInt8]) {
        let sep = UnsafeBufferPointer(start: separator.utf8Start, count: separator.utf8CodeUnitCount)
        var tightCount = sep.count
        while tightCount > 0 && sep[tightCount - 1] == UInt8(ascii: " ") { tightCount -= 1 }
        let tight = UnsafeBufferPointer(rebasing: sep[..<tightCount])
        let (tightWidth, separatorWidth) = (columns(tight), columns(sep))
        let indent = 4 + labelWidth
        appendLabel(label, to: &out)
        var width = indent, start = 0
        for (k, end) in ends.enumerated() {
            let itemWidth = columns(items[start..<end])
            if k > 0 && width + tightWidth + 1 + itemWidth > 80 {
                out.append(contentsOf: tight)
                out.append(10)
                out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
                width = indent + itemWidth
            } else {
                if k > 0 { out.append(contentsOf: sep) }
                width += (k > 0 ? separatorWidth : 0) + itemWidth
            }
            out.append(contentsOf: items[start..<end])
            start = end
        }
        out.append(10)
    }

    static func append(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    static func appendLine(_ s: String, to out: inout [UInt8]) {
        append(s, to: &out)
        out.append(10)
    }

    /// A witness finding's `witness` field.
    static func appendWitness(_ w: WitnessFinding, palette: Palette, to out: inout [UInt8]) {
        appendField("witness", w.kind == .contradiction
            ? palette.red("contradicted") + ": the capture shows " + w.capture + "; the model: " + w.model
            : "unconfirmed: " + w.capture + "; the model: " + w.model, to: &out)
    }

    static func witnessLines(_ findings: [WitnessFinding], palette: Palette) -> [String] {
        var b: [UInt8] = []
        for w in findings { appendWitness(w, palette: palette, to: &b) }
        return lines(b[...])
    }

    /// The JSON `witness` array.
    static func witnessJSON(_ findings: [WitnessFinding]) -> String {
        "[" + findings.map { w in
            var j = JSONObject(); addWitness(w, to: &j)
            return j.closed()
        }.joined(separator: ",") + "]"
    }

    /// One witness finding's fields, as the frame object and `witnessJSON` both write them.
    static func addWitness(_ w: WitnessFinding, to j: inout JSONObject) {
        j.add("kind", w.kind.rawValue); j.add("capture", w.capture); j.add("model", w.model)
    }

    /// The bumped counters' names in name order, as nstat sorts them, each with its index among
    /// `ids` (where its delta is): text and JSON remember it per set of counters (`Recent`).
    static func counterOrder(_ ids: [SNMPCounter]) -> [(name: String, index: Int)] {
        ids.indices.map { (ids[$0].name, $0) }.sorted { $0.0 < $1.0 }
    }

    /// `LOCAL_IN drop [inet filter input: tcp dport 23 counter drop]`: the hook, its verdict,
    /// and each chain's deciding rule (or how the chain ended).
    static func hookText(_ h: HookPass) -> String {
        let head = "\(h.hook) \(h.verdict)" + (h.conntrack.map { " (ct \($0))" } ?? "")
        guard !h.chains.isEmpty else { return head }
        var parts: [String] = []
        var lastChain = ""
        for c in h.chains {
            let name = "\(c.table) \(c.chain)"
            let what = c.rule ?? c.verdict
            parts.append(name == lastChain ? what : "\(name): \(what)")
            lastChain = name
        }
        return head + " [" + parts.joined(separator: "; ") + "]"
    }

    static func routeText(_ rt: InputRoute) -> String {
        var s: String
        switch rt.input {
        case .error(let errno):
            s = "\(rt.type.rawValue) (\(errnoName(errno))) → ip_error"
        case .localDeliver: s = "\(rt.type.rawValue) → ip_local_deliver"
        case .forward: s = "\(rt.type.rawValue) → ip_forward"
        case .output: s = "\(rt.type.rawValue) → ip_output"
        case .outputError(let errno): s = "\(rt.type.rawValue) (\(errnoName(errno))) → the socket call fails"
        }
        if let h = rt.handler, let arrow = s.range(of: " → ", options: .backwards) { s = s[..<arrow.upperBound] + h }
        if let p = rt.prefix { s += ", \(p)" }
        if let g = rt.gateway { s += " via \(g)" }
        if let d = rt.device { s += " dev \(d)" }
        if let t = rt.table { s += " table \(t)" }
        if let p = rt.rulePriority, p != 0 && p != 32766 && p != 32767 { s += " (rule \(p))" }
        if rt.input == .output, let src = rt.source { s += " src \(src)" }
        if let m = rt.mtu, rt.input == .forward || rt.input == .output { s += " mtu \(m)" }
        return s
    }

    static func errnoName(_ e: Int32) -> String {
        switch e {
        case 13: "EACCES"
        case 90: "EMSGSIZE"
        case 22: "EINVAL"
        case 101: "ENETUNREACH"
        case 113: "EHOSTUNREACH"
        default: "errno \(e)"
        }
    }

    static func summary(_ frame: [UInt8]) -> String {
        frame.withUnsafeBytes { Dissection($0, linkType: .ethernet).summary }
    }

    /// `label value`, the value wrapped at spaces to 80 columns (colour codes do not count),
    /// appended to `out` as newline-ended UTF-8. Measured and wrapped on its UTF-8 bytes: a
    /// column is a byte that does not continue a character, outside a colour escape.
    static func appendField(_ label: String, _ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { appendField(label, bytes: $0, to: &out) }
    }

    /// `appendField` for a value given as UTF-8 bytes.
    static func appendField(_ label: String, bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        // Most values fit on the line: then it is the line itself.
        if columns(bytes) <= 80 - 4 - labelWidth {
            appendLabel(label, to: &out)
            out.append(contentsOf: bytes)
            out.append(10)
        } else {
            appendWrappedField(label, bytes, to: &out)
        }
    }

    /// The columns UTF-8 text takes: scalars, colour escapes (ESC … m) left out.
    static func columns<C: Collection>(_ bytes: C) -> Int where C.Element == UInt8 {
        var n = 0, inEscape = false
        for b in bytes {
            if b == 0x1b { inEscape = true; continue }
            if inEscape { if b == UInt8(ascii: "m") { inEscape = false }; continue }
            if b & 0xc0 != 0x80 { n += 1 }
        }
        return n
    }

    /// `appendField` for a value longer than its line, wrapped on its bytes at spaces. (On the
    /// bytes in place, each word measured as it is scanned: slices, copies and a generic count per
    /// word were a tenth of the text output's time.)
    static func appendWrappedField(_ label: String, _ b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let indent = 4 + labelWidth
        appendLabel(label, to: &out)
        var width = indent, first = true, i = 0
        while true {
            // A word: up to the next space, its columns counted as `columns` counts them.
            var j = i, w = 0, inEscape = false
            while j < b.count {
                let c = b[j]
                if c == UInt8(ascii: " ") { break }
                if c == 0x1b { inEscape = true } else if inEscape { if c == UInt8(ascii: "m") { inEscape = false } } else if c & 0xc0 != 0x80 { w += 1 }
                j += 1
            }
            if !first && width + 1 + w > 80 {
                out.append(10)
                out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
                width = indent
            } else if !first {
                out.append(UInt8(ascii: " "))
                width += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<j]))
            width += w
            first = false
            if j >= b.count { break }
            i = j + 1
        }
        out.append(10)
    }

    /// `labelColumn`'s bytes, appended.
    static func appendLabel(_ label: String, to out: inout [UInt8]) {
        append(labelColumn(label), to: &out)
    }

    /// `    label     `: the label in its column (cut to the column if longer, as `padding` would).
    /// Labels are ASCII words: their bytes are their columns.
    static func labelColumn(_ label: String) -> String {
        let n = label.utf8.count
        return "    " + (n >= labelWidth ? String(label.prefix(labelWidth)) : label + String(repeating: " ", count: labelWidth - n))
    }

    // MARK: json

    /// The JSON parts frames of one kind share (see `Recent`), for one run; and the JSON of each
    /// path entry but its depth, by function, for the paths not seen yet.
    final class JSONParts {
        private var parts: [String: (head: [UInt8], tail: [UInt8])] = [:], inlinedParts: [String: (head: [UInt8], tail: [UInt8])] = [:]
        let path = Recent<[PathEntry], [UInt8]>(), netfilter = Recent<[HookPass], [UInt8]>(), ends = Recent<[SkbEnd], [UInt8]>()
        let stack = Recent<[String], [UInt8]>(), route = Recent<InputRoute?, [UInt8]>()
        /// The bumped counters' keys (`"Name":`), in name order, with where each one's delta is.
        let counterOrder = Recent<[SNMPCounter], [(key: [UInt8], index: Int)]>()
        /// The frame object being written (see `jsonBytes`).
        var scratch: [UInt8] = []

        /// The path array's JSON (`[{…},…]`).
        func json(_ path: [PathEntry], kernel: KernelVersion) -> [UInt8] {
            self.path.value(for: path) { path in
                var out: [UInt8] = [UInt8(ascii: "[")]
                for (i, p) in path.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    let parts = parts(p.function, kernel: kernel, inlined: p.inlined)
                    out.append(UInt8(ascii: "{"))
                    out += parts.head
                    JSONObject.appendInt(p.depth, to: &out)
                    out += parts.tail
                    out.append(UInt8(ascii: "}"))
                }
                out.append(UInt8(ascii: "]"))
                return out
            }
        }

        /// An inlined entry says so (`"inlined":true`), and one the function tracer cannot see
        /// though it has a body (`"notrace":true`, Profile.isNotrace); the others leave the keys out.
        func parts(_ fn: String, kernel: KernelVersion, inlined: Bool = false) -> (head: [UInt8], tail: [UInt8]) {
            if let p = inlined ? inlinedParts[fn] : parts[fn] { return p }
            var head = Array(#""fn":"#.utf8), tail = Array(#","file":"#.utf8)
            JSONObject.appendQuoted(fn, to: &head)
            head += Array(#","depth":"#.utf8)
            JSONObject.appendQuoted(KernelSource.file(of: fn, kernel: kernel), to: &tail)
            if inlined {
                tail += Array(#","inlined":true"#.utf8)
                inlinedParts[fn] = (head, tail)
            } else {
                if Profile(kernel: kernel).isNotrace(fn) { tail += Array(#","notrace":true"#.utf8) }
                parts[fn] = (head, tail)
            }
            return (head, tail)
        }
    }

    /// The text parts frames of one kind share (see `Recent`), for one run and its palette.
    final class TextParts {
        let verdict = Recent<Verdict, [UInt8]>(), route = Recent<InputRoute, [UInt8]>()
        let netfilter = Recent<[HookPass], [UInt8]>()
        let path = Recent<[PathEntry], [UInt8]>()
        let counterOrder = Recent<[SNMPCounter], [(name: String, index: Int)]>()
        /// A wrapped line's items (a frame's counters, a path's functions) as bytes, and where each
        /// ends (kept for their storage).
        var items: [UInt8] = [], itemEnds: [Int] = []
    }

    /// The frame's JSON object as UTF-8 bytes (what `explain --format json` writes, no String made).
    /// `held`: the object is kept past the next frame's (a frame held for the witness), so it is
    /// copied out of the scratch buffer at its size; else it is the scratch buffer itself, which
    /// the caller drops before rendering again.
    static func jsonBytes(_ h: FrameHeader, _ r: FrameReport, kernel: KernelVersion, paths: JSONParts = JSONParts(), held: Bool = true) -> [UInt8] {
        // Written into the renderer's scratch buffer, then copied out at its size: a frame held
        // for the witness (4,096 of them with --jobs 1) takes what it needs, not the 8 KiB
        // or more its writing grew to (9 MiB of a JSON run's peak, measured).
        var o = JSONObject(reusing: &paths.scratch)
        o.add("frame", h.number)
        o.add("time", h.time)
        o.add("iface", h.iface)
        o.add("dir", h.dir)
        o.add("len", h.length)
        o.add("summary", h.summary)
        // Written each time, not looked up: a verdict's detail names the frame's own ports and
        // addresses, so the remembered ones rarely matched, and comparing them cost three times
        // the writing.
        let verdict = r.verdict
        o.addObject("verdict") { v in
            v.add("action", verdict.action.rawValue)
            if let reason = verdict.reason { v.add("reason", reason) } else { v.addNull("reason") }
            if let errno = verdict.errno { v.add("errno", errno) }
            v.add("function", verdict.function)
            v.add("detail", verdict.detail)
        }
        if let w = r.whyNot { o.add("why_not", w) }
        if let s = r.socket { o.add("socket", s) } else { o.addNull("socket") }
        o.addRaw("route", paths.route.value(for: r.route) { route in
            guard let rt = route else { return Array("null".utf8) }
            var j = JSONObject()
            if let t = rt.table { j.add("table", t.description) } else { j.addNull("table") }
            j.add("type", rt.type.rawValue)
            if let p = rt.prefix { j.add("prefix", p.description) } else { j.addNull("prefix") }
            if let d = rt.device { j.add("dev", d) } else { j.addNull("dev") }
            if let g = rt.gateway { j.add("gateway", g.description) } else { j.addNull("gateway") }
            if let s = rt.source { j.add("src", s.description) } else { j.addNull("src") }
            if let p = rt.rulePriority { j.add("rule", p) } else { j.addNull("rule") }
            switch rt.input {
            case .localDeliver: j.add("input", "ip_local_deliver")
            case .forward: j.add("input", "ip_forward")
            case .error(let e): j.add("input", "ip_error"); j.add("error", errnoName(e))
            case .output: j.add("input", "ip_output")
            case .outputError(let e): j.add("input", "ip_route_output_flow"); j.add("error", errnoName(e))
            }
            if rt.input == .output || rt.input == .forward, let m = rt.mtu { j.add("mtu", m) }
            return j.finish()
        })
        o.addRaw("netfilter", paths.netfilter.value(for: r.netfilter) { netfilter in Array(("[" + netfilter.map { n in
            var j = JSONObject(); j.add("hook", n.hook)
            j.addRaw("chains", "[" + n.chains.map { c in
                var k = JSONObject(); k.add("table", c.table); k.add("chain", c.chain)
                if let r = c.rule { k.add("rule", r) } else { k.addNull("rule") }
                if let h = c.handle { k.add("handle", h) } else { k.addNull("handle") }
                k.add("verdict", c.verdict)
                return k.closed()
            }.joined(separator: ",") + "]")
            j.add("verdict", n.verdict)
            if let c = n.conntrack { j.add("conntrack", c) } else { j.addNull("conntrack") }
            if let p = n.packet { j.add("packet", p) } else { j.addNull("packet") }
            return j.closed()
        }.joined(separator: ",") + "]").utf8) })
        if let fr = r.fragment {
            var j = JSONObject()
            j.add("outcome", fr.outcome); j.add("datagram", fr.datagram); j.add("offset", fr.offset)
            j.add("length", fr.length); j.add("more", fr.more); j.add("detail", fr.detail)
            o.addRaw("fragment", j.closed())
        } else { o.addNull("fragment") }
        o.addStrings("timers", r.timers)
        o.addObjects("witness", r.witness) { j, w in addWitness(w, to: &j) }
        o.addRaw("ends", paths.ends.value(for: r.ends) { ends in Array(("[" + ends.map { e in
            var j = JSONObject(); j.add("event", e.event)
            if let reason = e.reason { j.add("reason", reason) } else { j.addNull("reason") }
            j.add("location", e.location); return j.closed()
        }.joined(separator: ",") + "]").utf8) })
        o.addObjects("emit", r.emitted) { j, e in j.add("iface", e.iface); j.add("summary", summary(e.bytes)); j.add("why", e.why); j.add("hex", hex: e.bytes) }
        // Frames of one kind bump the same counters by other amounts (octets): the names' order
        // and their quoted keys are remembered, the amounts written each time.
        let order = paths.counterOrder.value(for: r.counters.bumpedCounters) { ids in
            counterOrder(ids).map { name, i -> (key: [UInt8], index: Int) in
                var key: [UInt8] = []
                JSONObject.appendQuoted(name, to: &key)
                key.append(UInt8(ascii: ":"))
                return (key, i)
            }
        }
        let deltas = r.counters.bumpedDeltas
        o.addRawParts("counters") { out in
            out.append(UInt8(ascii: "{"))
            for (n, item) in order.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: item.key)
                JSONObject.appendInt(deltas[item.index], to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        o.addRaw("path", paths.json(r.path, kernel: kernel))
        o.addRaw("stack", paths.stack.value(for: r.endStack) { stack in
            var out: [UInt8] = [UInt8(ascii: "[")]
            for (i, f) in stack.enumerated() { if i > 0 { out.append(UInt8(ascii: ",")) }; JSONObject.appendQuoted(f, to: &out) }
            out.append(UInt8(ascii: "]"))
            return out
        })
        o.addObjects("fib", r.fib) { j, l in
            j.add("table", l.table.description); j.add("src", address: l.source)
            j.add("dst", address: l.destination); j.add("iif", l.iif); j.add("oif", l.oif); j.add("result", l.result)
        }
        paths.scratch = o.finish()
        return held ? paths.scratch.withUnsafeBufferPointer { Array($0) } : paths.scratch   // (Array(scratch) would share it)
    }

    // MARK: bt

    /// gdb's `bt` at the breakpoint (or where the frame's life ended): innermost first.
    static func backtrace(_ h: FrameHeader, _ r: FrameReport, breakpoint: String?, kernel: KernelVersion) -> [String] {
        var out = [h.text]
        let stack: [String]
        if let b = breakpoint {
            guard let s = r.breakStack else {
                let end = r.verdict.function.isEmpty ? r.verdict.action.rawValue : "\(r.verdict.action.rawValue) in \(r.verdict.function)"
                // A receive function whose list form the path took instead (ip_rcv → ip_list_rcv):
                // the driver handed its frames up as a list (listified GRO), as 6.1's e1000 does.
                let list = b.hasSuffix("_rcv") ? String(b.dropLast(4)) + "_list_rcv" : nil
                if let list, r.path.contains(where: { $0.function == list }) {
                    return out + ["    (\(b) is not entered: the frame came up in a list, through \(list); it ends: \(end))"]
                }
                return out + ["    (\(b) is not reached: \(end))"]
            }
            stack = s
        } else {
            stack = r.endStack
        }
        // Where the build was read with its debug info (6.1), gdb's own frames and lines.
        if let frames = KernelSource.gdbBacktrace(stack, kernel: kernel, path: r.path.map(\.function)) {
            for (i, f) in frames.enumerated() {
                let n = "#\(i)".padding(toLength: 4, withPad: " ", startingAt: 0)
                out.append("\(n)\(f.function) (…) at \(f.file)" + (f.line.map { ":\($0)" } ?? ""))
            }
            return out
        }
        for (i, fn) in stack.enumerated() {
            let n = "#\(i)".padding(toLength: 4, withPad: " ", startingAt: 0)
            // gdb's `at FILE:LINE`; the line where the profile's tree was at hand (KernelSource).
            switch KernelSource.location(of: fn, kernel: kernel) {
            case let (file, line?)?: out.append("\(n)\(fn) (…) at \(file):\(line)")
            case let (file, nil)?: out.append("\(n)\(fn) (…) at \(file)")
            case nil: out.append("\(n)\(fn) (…)")
            }
        }
        return out
    }
}


