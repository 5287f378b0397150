// A frame's fate: what `tracer diff` compares — the verdict (action, drop reason, function), the
// route (table, type, device, gateway), the deciding rule of each netfilter hook, the frames
// emitted, the socket reached. Read from the frame's `explain --format json` object, so a golden
// file of that output and a live model give the same fates. Paths and details are not fate.
import Foundation

struct Fate: Equatable {
    var action = "", reason: String?, function = ""
    var route: String?
    /// Per hook: "HOOK verdict" and the rule that decided it (nil: a chain's policy).
    var hooks: [String] = []
    var emitted: [String] = []
    var socket: String?
    /// The checked why-not of a drop (shown, not compared).
    var whyNot: String?
    /// With --strict: the whole object but its time (everything else is compared).
    var strict: String?

    static let fields = ["verdict", "route", "netfilter", "emitted", "socket"]

    init(json o: [String: Any], strict compareAll: Bool) {
        if let v = o["verdict"] as? [String: Any] {
            action = v["action"] as? String ?? ""
            reason = v["reason"] as? String
            function = v["function"] as? String ?? ""
        }
        if let r = o["route"] as? [String: Any] {
            let s = { (k: String) in (r[k] as? String).map { "\(k) \($0)" } }
            route = [s("table"), s("type"), s("dev"), s("gateway")].compactMap { $0 }.joined(separator: " ")
        }
        for h in o["netfilter"] as? [[String: Any]] ?? [] {
            let hook = h["hook"] as? String ?? "?", verdict = h["verdict"] as? String ?? "?"
            // The chain entry that decided: the last one. Its table and chain names are not fate
            // (renaming a chain changes nothing a packet meets), nor its handle.
            let last = (h["chains"] as? [[String: Any]])?.last
            let rule = last?["rule"] as? String
            hooks.append("\(hook) \(verdict)" + (rule.map { " by rule `\($0)`" } ?? (last != nil ? " by policy" : "")))
        }
        for e in o["emit"] as? [[String: Any]] ?? [] {
            emitted.append("\(e["iface"] as? String ?? "?") \(e["hex"] as? String ?? "")")
        }
        socket = o["socket"] as? String
        whyNot = o["why_not"] as? String
        if compareAll {
            var copy = o
            copy["time"] = nil
            copy["why_not"] = nil
            strict = (try? JSONSerialization.data(withJSONObject: copy, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The fields in which `other` differs.
    func changes(to other: Fate) -> [String] {
        var out: [String] = []
        if action != other.action || reason != other.reason || function != other.function { out.append("verdict") }
        if route != other.route { out.append("route") }
        if hooks != other.hooks { out.append("netfilter") }
        if emitted != other.emitted { out.append("emitted") }
        if socket != other.socket { out.append("socket") }
        if out.isEmpty, let s = strict, s != other.strict { out.append("strict") }
        return out
    }

    /// `drop NETFILTER_DROP in nft_do_chain`, `forward`, `deliver in …`.
    var verdictText: String {
        action + (reason.map { " \($0)" } ?? "") + (function.isEmpty ? "" : " in \(function)")
    }

    /// The hook whose rule dropped or rejected it, as "at FORWARD by rule `…`".
    var decidingHook: String? {
        guard let h = hooks.first(where: { $0.contains(" drop") || $0.contains(" reject") || $0.contains(" queue") }) else { return nil }
        let parts = h.split(separator: " ", maxSplits: 2)
        return "at \(parts[0])" + (parts.count > 2 ? " \(parts[2])" : "")
    }

    var device: String? {
        guard let r = route, let i = r.range(of: "dev ") else { return nil }
        return String(r[i.upperBound...].prefix { $0 != " " })
    }

    /// A frame the capture shows the host sending that the witness matched: an answer the model
    /// predicted, or a copy it forwarded.
    var isPredictedSend: Bool { action == "send" && function.isEmpty }

    /// One line: the verdict, where it went, who decided.
    var text: String {
        if isPredictedSend { return "send (an answer or forwarded copy the model predicted)" }
        var t = verdictText
        if let d = decidingHook { t += " " + d }
        else if action == "forward" || action == "send", let dev = device { t += " via \(dev)" }
        if let s = socket { t += " (socket \(s))" }
        if !emitted.isEmpty { t += "; emits \(emitted.count) frame\(emitted.count == 1 ? "" : "s")" }
        return t
    }

    /// How the change reads in the totals: "now dropped at FORWARD by rule `…`", "now forwarded
    /// via eth1 instead of eth0".
    func changeKind(from before: Fate) -> String {
        let word = ["drop": "dropped", "forward": "forwarded", "deliver": "delivered", "consume": "consumed",
                    "send": "sent", "queue": "queued", "error": "not modelled"][action] ?? action
        if before.isPredictedSend && !isPredictedSend && action == "send" {
            return "now an application's send via \(device ?? "-"), no longer an answer or copy the model predicts"
        }
        if action != before.action || reason != before.reason {
            var k = "now \(word)" + (action == "drop" ? (decidingHook.map { " \($0)" } ?? (reason.map { " \($0)" } ?? "") + " in \(function)") : "")
            if action == "forward", let d = device { k += " via \(d)" }
            return k
        }
        if device != before.device { return "now \(word) via \(device ?? "-") instead of \(before.device ?? "-")" }
        if route != before.route { return "now \(word) by another route (\(route ?? "none") instead of \(before.route ?? "none"))" }
        if hooks != before.hooks { return "now \(word) past other rules" }
        if emitted != before.emitted {
            return emitted.count == before.emitted.count
                ? "now \(word), emitting other frames (\(emitted.count), their bytes changed)"
                : "now \(word), emitting \(emitted.count) frame\(emitted.count == 1 ? "" : "s") instead of \(before.emitted.count)"
        }
        if socket != before.socket { return "now \(word) to \(socket ?? "no socket") instead of \(before.socket ?? "no socket")" }
        return "now \(word) (\(verdictText)), otherwise changed"
    }

    /// The object `diff --format json` gives for one side.
    func json() -> String {
        var o = JSONObject()
        o.add("action", action)
        if let r = reason { o.add("reason", r) } else { o.addNull("reason") }
        o.add("function", function)
        if let r = route { o.add("route", r) } else { o.addNull("route") }
        o.addStrings("netfilter", hooks)
        o.addStrings("emit", emitted)
        if let s = socket { o.add("socket", s) } else { o.addNull("socket") }
        return o.closed()
    }
}
