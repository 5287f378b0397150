// The report's one HTML file: inline CSS, inline SVG, a few lines of inline script, no fetches.
// The flow diagram is Graphviz's (`dot -Tsvg`); the chart of drop reasons over time is drawn
// here as SVG rectangles — a stacked bar per time slot needs a few lines, and a charting library
// would have to be inlined whole (tens of kilobytes of script) for the file to stay offline.
import Foundation
import Kernel
import Verify

struct ReportHTML {
    let c: ReportCollector
    let version: String

    init(_ collector: ReportCollector, version: String) { c = collector; self.version = version }

    static func escaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Colours for drop sites, in order of how many frames each dropped.
    static let palette = ["#c0392b", "#2471a3", "#d68910", "#7d3c98", "#138d75", "#ba4a00", "#2e4053", "#b03a2e", "#1abc9c", "#839192"]

    func document() -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>tracer report: \(Self.escaped(c.captures.map(\.path).joined(separator: ", ")))</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #1b1b1b; max-width: 1400px; }
        h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .sub { color: #666; font-size: 13px; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
        th { border-bottom: 1px solid #bbb; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        pre { background: #f6f6f6; padding: 8px; font-size: 12px; overflow-x: auto; margin: 4px 0; }
        .cards { display: flex; gap: 16px; flex-wrap: wrap; }
        .card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; min-width: 160px; }
        .card b { font-size: 20px; display: block; }
        #frames tr.frame { cursor: pointer; } #frames tr.frame:hover { background: #eef5fb; }
        #frames tr.detail td { background: #fafafa; }
        .drop { color: #c0392b; } .witness { color: #b9770e; font-weight: bold; }
        .legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
        .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
        #flow-diagram svg { max-width: 100%; height: auto; }
        .controls { margin: 8px 0; } .controls input { width: 320px; }
        </style></head><body>
        <h1>tracer report</h1>
        <div class="sub">tracer \(Self.escaped(version)) — \(c.captures.map { Self.escaped($0.path) + " (\($0.frames) frames)" }.joined(separator: ", "))</div>

        """
        h += totalsSection()
        h += "<h2>Where the packets went</h2>\n<div class=\"sub\">The kernel's packet-flow picture; each edge carries the number of frames that took it (the frames' own way, not the answers the kernel made).</div>\n"
        h += "<div id=\"flow-diagram\">" + flowSVG() + "</div>\n"
        h += "<h2>Drops over the capture's time</h2>\n<div id=\"drop-chart\">" + dropChart() + "</div>\n"
        h += findingsSection()
        h += hostSection()
        h += framesSection()
        h += """
        <script>
        (function () {
          var table = document.getElementById('frames');
          var filter = document.getElementById('frame-filter'), verdict = document.getElementById('verdict-filter');
          var count = document.getElementById('shown-count');
          function apply() {
            var q = filter.value.toLowerCase(), v = verdict.value, shown = 0;
            var rows = table.querySelectorAll('tr.frame');
            for (var i = 0; i < rows.length; i++) {
              var r = rows[i], ok = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) && (!v || r.dataset.action === v);
              r.style.display = ok ? '' : 'none';
              if (!ok) { r.nextElementSibling.style.display = 'none'; } else { shown++; }
            }
            count.textContent = shown;
          }
          filter.addEventListener('input', apply);
          verdict.addEventListener('change', apply);
          table.addEventListener('click', function (e) {
            var row = e.target.closest('tr.frame');
            if (!row) { return; }
            var d = row.nextElementSibling;
            d.style.display = d.style.display === 'none' ? '' : 'none';
          });
          apply();
          document.body.setAttribute('data-ready', String(table.querySelectorAll('tr.frame').length));
        })();
        </script>
        </body></html>

        """
        return h
    }

    func totalsSection() -> String {
        let t = c.totals
        var h = "<h2>Totals</h2>\n<div class=\"cards\">"
        h += "<div class=\"card\">frames<b>\(t.frames)</b></div>"
        for (k, v) in t.actions.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            h += "<div class=\"card\">\(Self.escaped(k))<b class=\"\(k == "drop" ? "drop" : "")\">\(v)</b></div>"
        }
        h += "<div class=\"card\">contradicted by the capture<b class=\"witness\">\(t.contradicted)</b></div>"
        h += "<div class=\"card\">answers the capture ends before showing<b>\(t.unconfirmed)</b></div></div>\n"
        let drops = t.drops.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        if !drops.isEmpty {
            h += "<h3>Drops by reason</h3>\n<table id=\"drop-reasons\"><tr><th>SKB_DROP_REASON in function</th><th>frames</th></tr>\n"
            for (k, v) in drops { h += "<tr><td>\(Self.escaped(k))</td><td class=\"n\">\(v)</td></tr>\n" }
            h += "</table>\n"
        }
        let counters = t.counters.sorted { $0.key < $1.key }
        if !counters.isEmpty {
            h += "<details><summary>SNMP counters bumped (\(counters.count))</summary><table>"
            for (k, v) in counters { h += "<tr><td>\(Self.escaped(k))</td><td class=\"n\">\(v)</td></tr>" }
            h += "</table></details>\n"
        }
        return h
    }

    /// The diagram through Graphviz; its dot source instead when dot is not installed.
    func flowSVG() -> String {
        let drops = c.totals.drops.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.value)× \($0.key)" }
        let dot = FlowDot(title: "all frames", way: nil, counts: c.edges, dropNotes: drops).lines().joined(separator: "\n") + "\n"
        guard let svg = Self.graphviz(dot) else {
            return "<p>Graphviz's <code>dot</code> is not installed (apt-get install graphviz): the diagram's source:</p><pre>\(Self.escaped(dot))</pre>"
        }
        // The SVG without its XML prolog and doctype, to sit inside the page.
        guard let start = svg.range(of: "<svg") else { return "<pre>\(Self.escaped(dot))</pre>" }
        return String(svg[start.lowerBound...])
    }

    /// `dot -Tsvg` over `source` (Verify's Shell.run: Graphviz from PATH); nil when dot is not
    /// installed or fails.
    static func graphviz(_ source: String) -> String? {
        try? Shell.run(["dot", "-Tsvg"], input: source)
    }

    /// Stacked bars: drops per time slot (at most 60 slots over the capture), by drop site.
    func dropChart() -> String {
        guard let first = c.firstSecond, let last = c.lastSecond, !c.dropsBySecond.isEmpty else {
            return "<svg id=\"drop-chart-svg\" width=\"600\" height=\"40\" role=\"img\"><text x=\"0\" y=\"24\" font-size=\"13\">No frame was dropped.</text></svg>"
        }
        let span = last - first + 1
        let slots = Int(min(60, span))
        let width = (span + Int64(slots) - 1) / Int64(slots)   // seconds per slot
        var sites: [String: Int] = [:]
        for (_, bySite) in c.dropsBySecond { for (s, n) in bySite { sites[s, default: 0] += n } }
        let order = sites.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        let shown = Array(order.prefix(Self.palette.count - 1))
        func colour(_ site: String) -> String { shown.firstIndex(of: site).map { Self.palette[$0] } ?? Self.palette.last! }
        var bars = [[String: Int]](repeating: [:], count: slots)
        for (second, bySite) in c.dropsBySecond {
            let i = min(slots - 1, Int((second - first) / width))
            for (s, n) in bySite { bars[i][shown.contains(s) ? s : "other", default: 0] += n }
        }
        let most = max(1, bars.map { $0.values.reduce(0, +) }.max() ?? 1)
        let plotW = 900, plotH = 220, left = 50, top = 10
        let barW = Double(plotW) / Double(slots)
        var svg = "<svg id=\"drop-chart-svg\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(plotW + left + 10)\" height=\"\(plotH + top + 40)\" role=\"img\" aria-label=\"drops over time\">"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#999\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 10)\" font-size=\"11\" text-anchor=\"end\">\(most)</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + plotH)\" font-size=\"11\" text-anchor=\"end\">0</text>"
        for (i, bar) in bars.enumerated() {
            var y = Double(top + plotH)
            for site in shown + ["other"] {
                guard let n = bar[site], n > 0 else { continue }
                let hgt = Double(plotH) * Double(n) / Double(most)
                y -= hgt
                let x = Double(left) + Double(i) * barW
                svg += "<rect class=\"bar\" x=\"\(String(format1: x))\" y=\"\(String(format1: y))\" width=\"\(String(format1: max(1, barW - 1)))\" height=\"\(String(format1: hgt))\" fill=\"\(site == "other" ? Self.palette.last! : colour(site))\"><title>\(Self.escaped("\(n)× \(site), from \(first + Int64(i) * width) s"))</title></rect>"
            }
        }
        svg += "<text x=\"\(left)\" y=\"\(top + plotH + 16)\" font-size=\"11\">\(first) s</text>"
        svg += "<text x=\"\(left + plotW)\" y=\"\(top + plotH + 16)\" font-size=\"11\" text-anchor=\"end\">\(last) s (\(width) s a bar)</text>"
        svg += "</svg>"
        var legend = "<div class=\"legend\">"
        for s in shown { legend += "<span><i style=\"background:\(colour(s))\"></i>\(Self.escaped(s)) (\(sites[s] ?? 0))</span>" }
        if order.count > shown.count { legend += "<span><i style=\"background:\(Self.palette.last!)\"></i>other</span>" }
        return svg + legend + "</div>"
    }

    func findingsSection() -> String {
        var h = "<h2>What the capture contradicts, and the load</h2>\n"
        if c.contradictions.isEmpty {
            h += "<p>The capture contradicts no frame's explanation.</p>\n"
        } else {
            h += "<table id=\"contradictions\"><tr><th>capture</th><th>frame</th><th>the capture shows</th><th>the model says</th></tr>\n"
            for x in c.contradictions {
                h += "<tr><td>\(Self.escaped(c.captures[x.capture].path))</td><td class=\"n\">\(x.frame)</td><td>\(Self.escaped(x.finding.capture))</td><td>\(Self.escaped(x.finding.model))</td></tr>\n"
            }
            h += "</table>\n"
            if c.contradictionsLeftOut > 0 { h += "<p class=\"sub\">… and \(c.contradictionsLeftOut) more (the first 500 are listed).</p>\n" }
        }
        h += c.loadLines.isEmpty ? "<p>No load finding: no socket buffer, backlog or rate limit held a frame back.</p>\n"
                                 : "<pre id=\"load\">\(Self.escaped(c.loadLines.joined(separator: "\n")))</pre>\n"
        return h
    }

    func hostSection() -> String {
        var h = "<h2>The host</h2>\n"
        for cap in c.captures {
            let lines = cap.hostLines.count > 400 ? Array(cap.hostLines.prefix(400)) + ["… \(cap.hostLines.count - 400) more lines"] : cap.hostLines
            h += "<details\(c.captures.count == 1 ? " open" : "")><summary>\(Self.escaped(cap.path))</summary><pre>\(Self.escaped(lines.joined(separator: "\n")))</pre></details>\n"
        }
        return h
    }

    func framesSection() -> String {
        var h = "<h2>Frames</h2>\n"
        let kept = c.rows.count, total = c.totals.frames
        h += "<p class=\"sub\">\(kept == total ? "All \(total) frames." : "\(kept) of \(total) frames: the first \(c.rowLimit), then drops and contradicted frames up to \(c.rowLimit) more; \(c.rowsLeftOut) left out (the totals, diagram and chart count them all).") Click a row for its explanation and path.</p>\n"
        h += "<div class=\"controls\"><input id=\"frame-filter\" type=\"search\" placeholder=\"filter: address, port, reason, function…\"> "
        h += "<select id=\"verdict-filter\"><option value=\"\">every verdict</option>"
        for a in Set(c.rows.map(\.action.rawValue)).sorted() { h += "<option value=\"\(a)\">\(a)</option>" }
        h += "</select> <span id=\"shown-count\">\(kept)</span> shown</div>\n"
        h += "<table id=\"frames\"><thead><tr><th>#</th><th>time</th><th>iface</th><th>dir</th><th>frame</th><th>verdict</th></tr></thead><tbody>\n"
        for r in c.rows {
            let cls = r.action == .drop || r.action == .error || r.action == .fail ? "drop" : ""
            h += "<tr class=\"frame\" data-action=\"\(r.action.rawValue)\"><td class=\"n\">\(c.captures.count > 1 ? "\(r.capture + 1):" : "")\(r.number)</td><td>\(Self.escaped(r.time))</td><td>\(Self.escaped(r.iface))</td><td>\(r.dir)</td><td>\(Self.escaped(r.summary))</td><td class=\"\(cls)\">\(Self.escaped(r.verdict))\(r.witness ? " <span class=\"witness\">witness</span>" : "")</td></tr>\n"
            h += "<tr class=\"detail\" style=\"display:none\"><td></td><td colspan=\"5\"><pre>\(Self.escaped(r.explanation.joined(separator: "\n")))</pre><details><summary>path (\(r.path.split(separator: "\n").count) functions)</summary><pre>\(Self.escaped(r.path))</pre></details></td></tr>\n"
        }
        h += "</tbody></table>\n"
        return h
    }
}
