// The model's report for a frame against what the kernel did with it, field by field. Used by
// `tracer verify` on a live kernel and by the tests on recorded answers (Fixtures/rx/*.kernel.jsonl,
// the same JSON lines `tracer verify --record` writes).
import Foundation
import Kernel
import Wire

/// What the kernel did with one frame.
public struct KernelRecord {
    public var frame: Int
    public var iface: String
    public var events: [TraceEventRecord]
    public var counters: [String: Int]
    public var emitted: [(iface: String, bytes: [UInt8])]
    /// `nft monitor trace`'s chain decisions (NFTrace.decision), when the host had a ruleset.
    public var nftrace: [String]? = nil
    /// For a packet a real socket sent: what the socket call returned ("sent" or the errno).
    public var syscall: String? = nil

    public struct TraceEventRecord {
        public var event: String, text: String, reason: String?, location: String?, stack: [String]
    }

    /// The ends of skbs (kfree_skb/consume_skb), in order, as "event reason location".
    public var ends: [String] {
        events.filter { $0.event != "fib_table_lookup" && !Tracing.isNoise($0.location) }
            .map { "\($0.event) \($0.reason ?? "-") \($0.location ?? "?")" }
    }

    /// fib_table_lookup events as "table T src -> dst: dev D err E".
    public var fib: [String] {
        events.filter { $0.event == "fib_table_lookup" }.compactMap { e in
            let w = e.text.split(separator: " ").map(String.init)
            guard w.count > 10, let d = w.firstIndex(of: "dev"), let r = w.firstIndex(of: "err"), r + 1 < w.count else { return nil }
            return "table \(w[1]) \(w[8].split(separator: "/")[0]) -> \(w[10].split(separator: "/")[0]): dev \(w[d + 1]) err \(w[r + 1])"
        }
    }

    public init(frame: Int, iface: String, events: [TraceEventRecord], counters: [String: Int], emitted: [(iface: String, bytes: [UInt8])]) {
        self.frame = frame; self.iface = iface; self.events = events; self.counters = counters; self.emitted = emitted
    }

    /// One JSON line of a record.
    public init(jsonLine: String) throws {
        guard let o = try JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any] else { throw VerifyError("not a record") }
        frame = o["frame"] as? Int ?? 0
        iface = o["iface"] as? String ?? ""
        events = (o["events"] as? [[String: Any]] ?? []).map {
            TraceEventRecord(event: $0["event"] as? String ?? "", text: $0["text"] as? String ?? "", reason: $0["reason"] as? String,
                             location: $0["location"] as? String,
                             stack: ($0["stack"] as? [String] ?? []).map { String($0.split(separator: ".").first ?? "") }
                                .filter { $0 != "trace_event_raw_event_kfree_skb" })
        }
        counters = o["counters"] as? [String: Int] ?? [:]
        emitted = (o["emit"] as? [[String: String]] ?? []).compactMap { e in
            guard let i = e["iface"], let h = e["hex"], let b = bytes(fromHex: h) else { return nil }
            return (i, b)
        }
        nftrace = o["nftrace"] as? [String]
        syscall = o["syscall"] as? String
    }

    public var jsonLine: String {
        func q(_ s: String) -> String {
            String(decoding: (try? JSONSerialization.data(withJSONObject: [s], options: [])) ?? Data("[\"\"]".utf8), as: UTF8.self).dropFirst().dropLast().description
        }
        let ev = events.map { e in
            "{\"event\":\(q(e.event)),\"text\":\(q(e.text))" + (e.reason.map { ",\"reason\":\(q($0))" } ?? "")
                + (e.location.map { ",\"location\":\(q($0))" } ?? "")
                + (e.stack.isEmpty ? "" : ",\"stack\":[" + e.stack.map(q).joined(separator: ",") + "]") + "}"
        }.joined(separator: ",")
        let c = counters.sorted { $0.key < $1.key }.map { "\(q($0.key)):\($0.value)" }.joined(separator: ",")
        let em = emitted.map { "{\"iface\":\(q($0.iface)),\"hex\":\"\(hexString($0.bytes))\"}" }.joined(separator: ",")
        let nft = (nftrace.map { ",\"nftrace\":[" + $0.map(q).joined(separator: ",") + "]" } ?? "")
            + (syscall.map { ",\"syscall\":\(q($0))" } ?? "")
        return "{\"frame\":\(frame),\"iface\":\(q(iface)),\"events\":[\(ev)],\"counters\":{\(c)},\"emit\":[\(em)]\(nft)}"
    }
}

/// One field compared: agree, or what each side said.
public struct FieldResult {
    public var field: String
    public var agrees: Bool
    public var detail: String
}

/// Compares frame after frame; keeps the TCP ISNs each side used, to compare sequence numbers.
public final class Comparison {
    /// A model chain pass in NFTrace.decision's form.
    static func decision(_ c: ChainPass) -> String {
        if c.rule?.hasPrefix("-A ") == true { return "\(c.table) \(c.chain): (rule) → \(c.verdict)" }
        return "\(c.table) \(c.chain): " + (c.rule.map { "\($0) → \(c.verdict)" } ?? c.verdict)
    }

    /// `ip filter INPUT: ip saddr 10.1.0.66 counter drop → drop` → `ip filter INPUT: (rule) → drop`.
    static func withoutRule(_ d: String) -> String {
        guard let colon = d.range(of: ": "), let arrow = d.range(of: " → ", options: .backwards) else { return d }
        return String(d[..<colon.lowerBound]) + ": (rule) → " + String(d[arrow.upperBound...])
    }

    /// What nstat leaves out as not counters (iproute2's misc/nstat.c, useless_number): settings
    /// and the TcpCurrEstab gauge. The model reports what `nstat` shows, so these are not compared
    /// (recorded kernel answers still hold them, as /proc/net/snmp gave them).
    public static let notCounters: Set<String> = ["IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax", "TcpMaxConn", "TcpCurrEstab"]

    public static let fields = ["verdict", "reason", "function", "ends", "route", "fib", "emitted", "counters", "stack", "path", "netfilter"]
    private var modelISN: [[UInt8]: UInt32] = [:]
    private var kernelISN: [[UInt8]: UInt32] = [:]

    public init() {}

    /// A frame the capture shows the host sending: the model's later segments of its
    /// conversation count from the ISN the capture shows (the model takes it from there).
    public func observeCaptured(_ ethernet: [UInt8]) { _ = Self.normalise(ethernet, isn: &modelISN) }

    public func compare(_ r: FrameReport, _ k: KernelRecord) -> [FieldResult] {
        var out: [FieldResult] = []
        func add(_ f: String, _ ok: Bool, _ model: String, _ kernel: String) {
            out.append(FieldResult(field: f, agrees: ok, detail: ok ? model : "model: \(model) | kernel: \(kernel)"))
        }
        let ours = r.ends.map { "\($0.event) \($0.reason ?? "-") \($0.location)" }
        // A read datagram's fragment list is freed when the CPU that allocated it next runs
        // NET_RX (udp_recvmsg's skb_attempt_defer_free, flushed by skb_defer_free_flush): in
        // whichever frame's window that falls, so those consume_skb ends are not compared.
        let kernelEnds = k.ends.filter { $0 != "consume_skb - skb_release_data" }
        let v = r.verdict
        let traced = (v.action == .drop || v.action == .consume) && v.traced
        let event = v.action == .drop ? "kfree_skb" : "consume_skb"
        let verdictKernel = traced ? kernelEnds.contains { $0.hasPrefix(event + " ") && $0.hasSuffix(" " + v.function) } : true
        if let call = k.syscall {
            // A send: what the socket call returned.
            let ours = v.action == .fail ? v.errno ?? "?" : v.action == .send || v.action == .queue ? "sent" : v.action.rawValue
            add("verdict", ours == call, ours, call)
        } else {
            add("verdict", traced ? verdictKernel : [.deliver, .forward, .queue, .send, .error].contains(v.action) || !v.traced,
                "\(v.action.rawValue)", kernelEnds.first ?? "no end")
        }
        add("reason", !traced || kernelEnds.contains("\(event) \(v.reason ?? "-") \(v.function)"), v.reason ?? "-",
            kernelEnds.first { $0.hasSuffix(" " + v.function) } ?? kernelEnds.first ?? "-")
        add("function", !traced || kernelEnds.contains { $0.hasSuffix(" " + v.function) }, v.function, kernelEnds.map { $0.split(separator: " ").last.map(String.init) ?? "" }.joined(separator: ","))
        add("ends", ours == kernelEnds || Self.sameButCoalesced(ours, kernelEnds), ours.joined(separator: "; "), kernelEnds.joined(separator: "; "))
        // The FIB lookups: all of them, in order; where the host sent an ICMP error, the kernel's
        // icmp_route_lookup makes more (its xfrm reverse-session check) that the model leaves out.
        let ourFib = r.fib.map { l -> String in
            let w = l.result.split(separator: " ").map(String.init)
            return "table \(l.table.id) \(l.source) -> \(l.destination): dev \(w[1]) err \(w[(w.firstIndex(of: "err") ?? 0) + 1])"
        }
        let kfib = k.fib
        add("route", ourFib.first == kfib.first, ourFib.first ?? "no lookup", kfib.first ?? "no lookup")
        add("fib", ourFib == kfib, ourFib.joined(separator: "; "), kfib.joined(separator: "; "))
        let om = r.emitted.map { ($0.iface, Self.normalise($0.bytes, isn: &modelISN)) }
        let km = k.emitted.map { ($0.iface, Self.normalise($0.bytes, isn: &kernelISN)) }
        add("emitted", om.count == km.count && zip(om, km).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 },
            om.map { "\($0.0) \(hexString($0.1))" }.joined(separator: "; "), km.map { "\($0.0) \(hexString($0.1))" }.joined(separator: "; "))
        let kc = k.counters.filter { !Self.notCounters.contains($0.key) }
        add("counters", r.counters.deltas == kc, r.counters.sorted.map { "\($0.0)+\($0.1)" }.joined(separator: " "),
            kc.sorted { $0.key < $1.key }.map { "\($0.key)+\($0.value)" }.joined(separator: " "))
        // The stack at the (first) drop, up to net_rx_action, where the model's verdict is that drop.
        if let drop = k.events.first(where: { $0.event == "kfree_skb" && !$0.stack.isEmpty }), drop.location == v.function {
            var stack = drop.stack
            if let i = stack.firstIndex(of: "net_rx_action") { stack = Array(stack[...i]) }
            add("stack", Array(r.endStack.prefix(stack.count)) == stack, r.endStack.prefix(stack.count).joined(separator: " < "), stack.joined(separator: " < "))
            // …and the real stack, outermost first, is an ordered subsequence of the model's path.
            let real = stack.dropFirst().reversed().map { $0 }
            add("path", Self.isOrderedSubsequence(real, of: r.path.map(\.function)), "path of \(r.path.count) functions", real.joined(separator: " > "))
        } else {
            add("stack", true, "no traced drop", "")
            add("path", true, "no traced drop", "")
        }
        // The chain decisions, as nft monitor trace reports them (the host's ruleset only).
        if let traced = k.nftrace {
            // Packet by packet, as NFTrace orders the kernel's: the frame's own hooks, then each
            // packet the host made.
            var labels: [String?] = []
            for h in r.netfilter where !labels.contains(h.packet) { labels.append(h.packet) }
            let passes = labels.flatMap { l in r.netfilter.filter { $0.packet == l }.flatMap(\.chains) }
            let model = passes.map(Self.decision)
            // An iptables rule is shown as iptables-save wrote it; nft's trace spells it its own
            // way: those are compared by chain and verdict.
            var kernel = traced
            for (i, c) in passes.enumerated() where i < kernel.count && c.rule?.hasPrefix("-A ") == true {
                kernel[i] = Self.withoutRule(kernel[i])
            }
            add("netfilter", model == kernel, model.joined(separator: "; "), kernel.joined(separator: "; "))
        } else {
            add("netfilter", true, "n/a: no ruleset, or not traced when recorded", "")
        }
        return out
    }

    /// A reassembled datagram's fragment list is freed with the datagram (skb_release_data →
    /// kfree_skb_list_reason), one traced free per fragment still on it; a fragment that
    /// inet_frag_reasm_finish could coalesce into the head (skb_try_coalesce) was freed earlier
    /// without a tracepoint. Whether it could depends on how the sending side's pages were laid
    /// out — seen both ways on one machine for the same frames — so the kernel may show fewer
    /// of those frees than the model, which assumes none coalesced; everything else must match.
    static func sameButCoalesced(_ model: [String], _ kernel: [String]) -> Bool {
        let listFree = "kfree_skb NOT_SPECIFIED skb_release_data"
        let (m, k) = (model.filter { $0 != listFree }, kernel.filter { $0 != listFree })
        let (mc, kc) = (model.count - m.count, kernel.count - k.count)
        return m == k && kc <= mc && kc >= 1
    }

    static func isOrderedSubsequence(_ a: [String], of b: [String]) -> Bool {
        var rest = b[...]
        for x in a {
            guard let i = rest.firstIndex(of: x) else { return false }
            rest = rest[(i + 1)...]
        }
        return true
    }

    /// Fields the kernel randomises made comparable: IPv4 ID and header checksum zeroed; TCP
    /// sequence numbers taken relative to the host's ISN (learned from its SYN-ACK; the model's
    /// ISN is 0) with the TCP checksum zeroed; TCP timestamp values zeroed; an ICMP timestamp reply's times.
    public static func normalise(_ frame: [UInt8], isn: inout [[UInt8]: UInt32]) -> [UInt8] {
        var f = frame
        let ip = 14
        let t: Int, flow: [UInt8]
        if f.count >= 54, f[12] == 0x86, f[13] == 0xdd {
            // IPv6: the flow label is the kernel's hash of the flow (auto_flowlabels, seeded at
            // boot), the one field no model can foresee; a checksum left to the device is
            // compared finished (as for IPv4 below).
            f[15] &= 0xf0; f[16] = 0; f[17] = 0
            // A Fragment header's identification is ipv6_select_ident's keyed hash, too.
            if f[ip + 6] == 44, f.count >= ip + 48 { for i in (ip + 44)..<(ip + 48) { f[i] = 0 } }
            InternetChecksum.refillTransport6(&f, ip: ip)
            guard f[ip + 6] == 6, f.count >= ip + 60 else { return f }
            t = ip + 40
            flow = Array(f[(ip + 8)..<(ip + 40)]) + Array(f[t..<(t + 4)])
        } else {
            guard f.count >= 34, f[12] == 0x08, f[13] == 0x00 else { return f }
            // A checksum left to the device (CHECKSUM_PARTIAL: the pseudo-header sum alone) is
            // compared as the device that finishes it sends it: whether the host or its next hop
            // does depends on offloads a snapshot does not record.
            if Wires.partialChecksum(f) != nil { InternetChecksum.refillTransport(&f, ip: 14) }
            f[ip + 4] = 0; f[ip + 5] = 0; f[ip + 10] = 0; f[ip + 11] = 0
            let ihl = Int(f[ip] & 0x0f) * 4
            // A timestamp reply's receive and transmit times are the clock's when the host
            // answered (inet_current_timestamp), the live one's or the capture's: zeroed, with
            // the ICMP checksum that covers them. The originate time is the request's, compared.
            if f[ip + 9] == 1, f.count >= ip + ihl + 20, f[ip + ihl] == 14 {
                for i in [2, 3] + Array(12..<20) { f[ip + ihl + i] = 0 }
            }
            guard f[ip + 9] == 6, f.count >= ip + ihl + 20 else { return f }
            t = ip + ihl
            flow = Array(f[(ip + 12)..<(ip + 20)]) + Array(f[t..<(t + 4)])
        }
        let seq = UInt32(f[t + 4]) << 24 | UInt32(f[t + 5]) << 16 | UInt32(f[t + 6]) << 8 | UInt32(f[t + 7])
        // The ISN: of a SYN-ACK the host answers with, or of a SYN it sends.
        if f[t + 13] & 0x12 == 0x12 || f[t + 13] & 0x17 == 0x02 { isn[flow] = seq }
        // A RST|ACK answering a segment without ACK carries sequence number 0 itself (RFC 9293
        // 3.10.7.1), not one counted from the ISN: it is compared as it is.
        let absoluteZero = seq == 0 && f[t + 13] & 0x14 == 0x14
        if let base = isn[flow], !absoluteZero {
            let rel = seq &- base
            f[t + 4] = UInt8(rel >> 24); f[t + 5] = UInt8((rel >> 16) & 0xff); f[t + 6] = UInt8((rel >> 8) & 0xff); f[t + 7] = UInt8(rel & 0xff)
            f[t + 16] = 0; f[t + 17] = 0
        }
        var o = t + 20
        while o + 1 < min(f.count, t + Int(f[t + 12] >> 4) * 4) {
            if f[o] == 1 { o += 1; continue }
            if f[o] == 0 { break }
            if f[o] == 8, o + 6 <= f.count { for i in 2..<6 { f[o + i] = 0 } }
            o += max(2, Int(f[o + 1]))
        }
        return f
    }
}
