// The kernel's packet-flow picture — the one every netfilter tutorial draws — as Graphviz dot:
//
//   device ─▶ PREROUTING ─▶ routing decision ─▶ INPUT ─▶ local socket ─▶ output route ─▶ OUTPUT
//                                   │                                                      │
//                                   └──────────▶ FORWARD ─────────▶ POSTROUTING ◀───────────┘ ─▶ device
//
// with one frame's way through it drawn in (`tracer explain --format dot`), or every frame's
// way counted on the edges (`tracer report`). The way is read from what the model reported:
// the netfilter hooks the packet passed (NF_INET_*, each with its chains and the deciding rule),
// the route it got, the verdict and the function that ended it, the frames the kernel sent back.
import Kernel

/// The stages of the diagram: netfilter's hooks and what lies between them.
enum FlowNode: String, CaseIterable {
    case deviceIn = "device_in", arp, prerouting, routeIn = "route_in", input, local, forward
    case routeOut = "route_out", output, postrouting, deviceOut = "device_out", drop, queued

    var title: String {
        switch self {
        case .deviceIn: "device (receive)"
        case .arp: "arp_rcv"
        case .prerouting: "PREROUTING"
        case .routeIn: "routing decision"
        case .input: "INPUT"
        case .local: "local delivery"
        case .forward: "FORWARD"
        case .routeOut: "output route"
        case .output: "OUTPUT"
        case .postrouting: "POSTROUTING"
        case .deviceOut: "device (transmit)"
        case .drop: "dropped"
        case .queued: "held"
        }
    }

    /// The kernel's own name for the stage.
    var kernelName: String {
        switch self {
        case .deviceIn: "__netif_receive_skb_core"
        case .arp: "ARP_IN / ARP_OUT"
        case .prerouting: "NF_INET_PRE_ROUTING"
        case .routeIn: "ip_route_input_noref"
        case .input: "NF_INET_LOCAL_IN"
        case .local: "ip_local_deliver_finish"
        case .forward: "NF_INET_FORWARD"
        case .routeOut: "ip_route_output_key"
        case .output: "NF_INET_LOCAL_OUT"
        case .postrouting: "NF_INET_POST_ROUTING"
        case .deviceOut: "__dev_queue_xmit"
        case .drop: "kfree_skb"
        case .queued: "a queue (reassembly, neighbour, socket)"
        }
    }

    static func hook(_ name: String) -> FlowNode? {
        switch name {
        case "PRE_ROUTING": .prerouting
        case "LOCAL_IN": .input
        case "FORWARD": .forward
        case "LOCAL_OUT": .output
        case "POST_ROUTING": .postrouting
        case "ARP_IN", "ARP_OUT": .arp
        default: nil
        }
    }

    /// The skeleton every diagram draws, frame or not.
    static let skeleton: [(FlowNode, FlowNode)] = [
        (.deviceIn, .prerouting), (.prerouting, .routeIn), (.routeIn, .input), (.input, .local),
        (.routeIn, .forward), (.forward, .postrouting), (.local, .routeOut), (.routeOut, .output),
        (.output, .postrouting), (.postrouting, .deviceOut), (.deviceIn, .arp),
    ]
}

/// One frame's way through the diagram, and what to write on the stages it passed.
struct FlowWay {
    /// The stages in order; the last one is where the frame ended (`drop`, `queued`, a device, a socket).
    var nodes: [FlowNode] = []
    /// Per stage: the lines to write under its title (chains and rule, route, socket, device).
    var notes: [FlowNode: [String]] = [:]
    /// The answers the kernel sent (each one's way from the local stack out).
    var replies: [(what: String, nodes: [FlowNode])] = []

    var edges: [(FlowNode, FlowNode)] { zip(nodes, nodes.dropFirst()).map { ($0, $1) } }

    init(_ r: FrameReport, direction: Direction) {
        let own = r.netfilter.filter { $0.packet == nil }
        func note(_ n: FlowNode, _ s: String) { notes[n, default: []].append(s) }
        let v = r.verdict
        if direction == .tx || v.action == .send || v.action == .fail {
            // An application's send: socket → output route → LOCAL_OUT → POST_ROUTING → device.
            nodes = [.local]
            if let s = r.socket { note(.local, s) }
            if let rt = r.route { nodes.append(.routeOut); note(.routeOut, Render.routeText(rt)) }
            for h in own { if let n = FlowNode.hook(h.hook), n != nodes.last { nodes.append(n); note(n, Self.hookNote(h)) } }
            if own.isEmpty && r.route == nil && v.action == .send {
                // The kernel's own answer or forwarded copy, matched to the frame it answers
                // (whose explanation has the hooks): the way out, drawn plain.
                nodes += [.routeOut, .output, .postrouting]
                note(.local, v.detail)
            }
        } else {
            nodes = [.deviceIn]
            note(.deviceIn, r.iface)
            for h in own {
                guard let n = FlowNode.hook(h.hook) else { continue }
                // The routing decision sits between PREROUTING and INPUT/FORWARD.
                if (n == .input || n == .forward), nodes.last == .prerouting || nodes.last == .deviceIn {
                    nodes.append(.routeIn)
                    if let rt = r.route { note(.routeIn, Render.routeText(rt)) }
                }
                if n != nodes.last { nodes.append(n) }
                note(n, Self.hookNote(h))
            }
            if let rt = r.route, !nodes.contains(.routeIn), nodes.last == .prerouting || nodes.last == .deviceIn,
               v.action != .drop || Self.stage(of: v.function) != .deviceIn {
                nodes.append(.routeIn)
                note(.routeIn, Render.routeText(rt))
            }
            if nodes.last == .input, v.action != .drop || !Self.droppedByHook(v, own) {
                nodes.append(.local)
                if let s = r.socket { note(.local, s) }
            }
            if let fr = r.fragment { note(nodes.contains(.local) ? .local : nodes.last!, "fragment \(fr.outcome)") }
        }
        if nodes.last == .postrouting && (v.action == .forward || v.action == .send) {
            nodes.append(.deviceOut)
            note(.deviceOut, r.route?.device ?? r.emitted.first?.iface ?? r.iface)
        }
        switch v.action {
        case .drop, .error, .fail:
            nodes.append(.drop)
            note(.drop, ([v.reason, v.errno].compactMap { $0 }.joined(separator: " ") + (v.function.isEmpty ? "" : " in \(v.function)"))
                        .trimmingCharacters(in: .whitespaces))
        case .queue:
            nodes.append(.queued)
            note(.queued, v.function)
        default: break
        }
        // The frames the kernel made in answer, each from the local stack out.
        var byPacket: [(String, [HookPass])] = []
        for h in r.netfilter { if let p = h.packet {
            if let i = byPacket.firstIndex(where: { $0.0 == p }) { byPacket[i].1.append(h) } else { byPacket.append((p, [h])) }
        } }
        for (what, hooks) in byPacket {
            var way: [FlowNode] = [.local, .routeOut]
            for h in hooks { if let n = FlowNode.hook(h.hook), n != way.last, n != .arp { way.append(n) } }
            if r.emitted.contains(where: { $0.why == what }) { way.append(.deviceOut) }
            replies.append((what, way))
        }
    }

    static func hookNote(_ h: HookPass) -> String {
        let ct = h.conntrack.map { " (ct \($0))" } ?? ""
        guard !h.chains.isEmpty else { return h.verdict + ct }
        return h.chains.map { "\($0.table) \($0.chain): \($0.rule ?? $0.verdict)" }.joined(separator: "\n") + "\n→ " + h.verdict + ct
    }

    static func droppedByHook(_ v: Verdict, _ hooks: [HookPass]) -> Bool {
        v.function.hasPrefix("nf_hook") || hooks.last?.verdict == "drop"
    }

    /// Where a function that frees a packet sits, for a drop the hooks do not place.
    static func stage(of function: String) -> FlowNode {
        let receive = ["ip_rcv", "ip_rcv_core", "ipv6_rcv", "ip6_rcv_core", "__netif_receive_skb_core", "enqueue_to_backlog",
                       "netif_receive_skb", "e1000_clean_rx_irq", "veth_xmit", "__netif_rx", "eth_type_trans", "sk_filter_trim_cap"]
        return receive.contains(function) ? .deviceIn : .local
    }
}

/// Writes the diagram as dot: `highlight` the way of one frame, `counts` the frames on each edge.
struct FlowDot {
    var title: String
    var way: FlowWay?
    var counts: [String: Int] = [:]
    var dropNotes: [String] = []

    static func key(_ a: FlowNode, _ b: FlowNode) -> String { a.rawValue + ">" + b.rawValue }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }

    func lines() -> [String] {
        var out = ["digraph \(Self.quoted(title)) {",
                   "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, label=\(Self.quoted(title)), labelloc=t, nodesep=0.35, ranksep=0.45];",
                   "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\", color=\"#9a9a9a\", fontname=\"Helvetica\", fontsize=10];",
                   "  edge [color=\"#b0b0b0\", fontname=\"Helvetica\", fontsize=9];"]
        let onWay = Set(way?.nodes ?? [])
        let replyNodes = Set(way?.replies.flatMap(\.nodes) ?? [])
        let most = counts.values.max() ?? 1
        var used = Set<FlowNode>()
        for (a, b) in FlowNode.skeleton { used.insert(a); used.insert(b) }
        for (a, b) in way?.edges ?? [] { used.insert(a); used.insert(b) }
        for k in counts.keys { for part in k.split(separator: ">") { if let n = FlowNode(rawValue: String(part)) { used.insert(n) } } }
        for n in FlowNode.allCases where used.contains(n) {
            var label = n.title + "\n" + n.kernelName
            for l in way?.notes[n] ?? [] { label += "\n" + Self.clip(l) }
            if n == .drop { for l in dropNotes.prefix(6) { label += "\n" + Self.clip(l) } }
            var fill = "#f4f4f4", colour = "#9a9a9a", extra: [String] = []
            if n == .drop { extra.append("shape=octagon"); fill = "#fde2e2"; colour = "#c0392b" }
            else if n == .queued { extra.append("shape=ellipse") }
            if onWay.contains(n) {
                fill = n == .drop ? "#f5b7b1" : "#d6eaf8"; colour = n == .drop ? "#c0392b" : "#1f618d"; extra.append("penwidth=2")
            } else if replyNodes.contains(n) {
                fill = "#e8f6f3"; colour = "#148f77"
            }
            let attrs = ["label=\(Self.quoted(label))", "fillcolor=\"\(fill)\"", "color=\"\(colour)\""] + extra
            out.append("  \(n.rawValue) [\(attrs.joined(separator: ", "))];")
        }
        // Edges: the skeleton, then anything the way or the counts add (a drop, a hold).
        var edges: [(FlowNode, FlowNode)] = FlowNode.skeleton
        for e in (way?.edges ?? []) + counts.keys.compactMap(Self.edge) where !edges.contains(where: { $0 == e }) { edges.append(e) }
        let wayEdges = way?.edges ?? []
        for (a, b) in edges {
            var attrs: [String] = []
            let colour = b == .drop ? "#c0392b" : "#1f618d"
            if let i = wayEdges.firstIndex(where: { $0 == (a, b) }) {
                attrs += ["color=\"\(colour)\"", "penwidth=2.5", "label=\"\(i + 1)\"", "fontcolor=\"\(colour)\""]
            } else if let c = counts[Self.key(a, b)], c > 0 {
                attrs += ["color=\"\(colour)\"", "penwidth=\(String(format1: 1 + 5 * Double(c) / Double(max(most, 1))))", "label=\"\(c)\"", "fontcolor=\"\(colour)\""]
            }
            if attrs.isEmpty && (way != nil || !counts.isEmpty) { attrs.append("style=dashed") }
            out.append("  \(a.rawValue) -> \(b.rawValue)" + (attrs.isEmpty ? ";" : " [\(attrs.joined(separator: ", "))];"))
        }
        for (what, nodes) in way?.replies ?? [] {
            for (a, b) in zip(nodes, nodes.dropFirst()) {
                out.append("  \(a.rawValue) -> \(b.rawValue) [color=\"#148f77\", penwidth=1.8, style=bold, label=\(Self.quoted(what)), fontcolor=\"#148f77\"];")
            }
        }
        out.append("}")
        return out
    }

    static func edge(_ key: String) -> (FlowNode, FlowNode)? {
        let p = key.split(separator: ">")
        guard p.count == 2, let a = FlowNode(rawValue: String(p[0])), let b = FlowNode(rawValue: String(p[1])) else { return nil }
        return (a, b)
    }

    /// Long rules and routes cut at 60 characters (the diagram stays readable; the text and JSON
    /// formats have them whole).
    static func clip(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { $0.count > 60 ? $0.prefix(59) + "…" : $0 }.joined(separator: "\n")
    }
}

extension String {
    /// A number with one decimal, without Foundation.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
