// The capture as a witness of what the host's kernel did. A capture taken on a host shows what
// it sent; an explanation must never contradict that:
//  - a frame the capture shows the host sending was sent: a model that says the send fails, or
//    is dropped on the way out, contradicts it;
//  - an answer the kernel alone makes (echo reply, ICMP error, SYN-ACK, RST, ARP reply) or a
//    forwarded copy in the capture was made for a frame the model then must have answered or
//    forwarded;
//  - an answer or forwarded copy the model predicts on an interface the capture shows the host
//    sending on appears in it within `window` seconds (the kernel answers from the softirq that
//    received the frame, in microseconds), a delayed ACK within `delayedWindow` (TCP_DELACK_MAX
//    is 200 ms; it may also ride on the host's next segment), or the capture stops before it could.
// Frames are held until their window has passed (at most `capacity` at a time), then handed
// back in capture order with what the witness found: the output stays streaming and in order.
import DequeModule
import Wire

/// One thing the capture shows that the model's explanation does not (or cannot yet) agree with.
public struct WitnessFinding: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// The capture shows something the model says did not happen, or not what it says happened.
        case contradiction
        /// The model predicts a frame the capture might still show, but it ends first.
        case unconfirmed
    }
    public var kind: Kind
    /// What the capture shows.
    public var capture: String
    /// What the model says.
    public var model: String
    public init(kind: Kind, capture: String, model: String) { self.kind = kind; self.capture = capture; self.model = model }
}

public struct Witness {
    /// How long after a frame the capture must show the answers the model predicts for it.
    public let window: Double
    /// The same for an ACK the model leaves to the delayed-ACK timer.
    public let delayedWindow: Double
    /// Frames held at most (beyond it the oldest is released with what it still waits for unconfirmed).
    public let capacity: Int
    /// False when a filter hides frames: a missing answer may be filtered out, so none is claimed
    /// (predicted answers the capture does show are still matched).
    public var checksAnswers: Bool
    /// False for `replay --tx`: the frames are what applications ask to send, not a record of
    /// what was sent, so a send the model refuses is the answer, not a contradiction.
    public var checksSends: Bool

    public init(window: Double = 0.25, delayedWindow: Double = 0.5, capacity: Int = 65_536, checksAnswers: Bool = true, checksSends: Bool = true) {
        self.window = window; self.delayedWindow = delayedWindow; self.capacity = capacity; self.checksAnswers = checksAnswers; self.checksSends = checksSends
    }

    /// A frame the model says the host sends in answer to (or forwards from) a held frame.
    struct Expectation {
        var signature: PredictedReplies.Signature
        /// For a TCP ACK: the connection, so any later segment of the host's on it carries it.
        var connection: ConnectionKey?
        var iface: String
        /// The predicted frame (its summary is made only if the capture does not show it).
        var bytes: [UInt8]
        var why: String
        var deadline: Double
        var fulfilled = false
        /// An ICMP error the kernel's rate limits would have held back (see `icmpAllowed`).
        var rateLimited = false
        var summary: String { bytes.withUnsafeBytes { Dissection($0, linkType: .ethernet).summary } }
    }
    struct ConnectionKey: Hashable { var addresses: UInt64; var ports: UInt32 }

    struct Held {
        var seq: Int
        var number: Int
        var time: Double
        var outgoing: Bool
        var verdict: Verdict
        /// The received frame's IPv4 identity (source, destination, id, protocol) and TTL, to pair
        /// a forwarded copy with it.
        var ipIdentity: IPIdentity?
        var ttl: UInt8?
        /// The flow this received frame opens, for the answer that names it (see `FlowKey`).
        var flow: FlowKey?
        var expectations: [Expectation] = []
        var findings: [WitnessFinding] = []
        /// Held until the capture passes this time (its latest deadline).
        var holdUntil: Double
    }
    struct IPIdentity: Hashable { var addresses: UInt64; var ident: UInt16; var proto: UInt8 }

    var held: Deque<Held> = []
    var nextSeq = 0
    // The indexes below hold the frames before `indexedTo` only: they are brought up to date
    // (`index()`) when a frame the host sends asks them, so a capture that shows no sends (or
    // only sends early on) never pays for them, and one with sends pays the same as before.
    var indexedTo = 0
    var byIdentity: [IPIdentity: Int] = [:]
    var lastReceived: [FlowKey: Int] = [:]
    /// The held expectations by signature and by connection, oldest first (frames are released
    /// oldest first, so their entries leave from the front).
    var bySignature: [PredictedReplies.Signature: Deque<(seq: Int, index: Int)>] = [:]
    var byConnection: [ConnectionKey: Deque<(seq: Int, index: Int)>] = [:]
    /// The interfaces the capture shows the host sending on.
    var seenInterfaces: Set<String> = []
    var lastTime = -Double.infinity
    /// The ICMP rate limits as token buckets on the capture's clock: per destination
    /// (inet_peer_xrlim_allow: icmp_ratelimit 1 s, a burst of 6) and global (icmp_global_allow:
    /// icmp_msgs_per_sec 1000, a burst of 50; 6.18 takes a random 0–2 credits, 1 on average).
    var icmpPeers: [UInt32: (tokens: Double, at: Double)] = [:]
    var icmpGlobal = (tokens: 50.0, at: -Double.infinity)

    /// Before the model runs a frame the host sends: the held frame whose predicted answer (or
    /// forwarded copy) it is, and why the model emitted it. The expectation is fulfilled.
    public mutating func predicted(_ frame: UnsafeRawBufferPointer, linkType: LinkType, iface: String?) -> (number: Int, why: String)? {
        guard let s = Self.signature(frame, linkType: linkType) else { return nil }
        index()
        guard bySignature[s] != nil else { return nil }
        defer { if bySignature[s]?.isEmpty == true { bySignature[s] = nil } }
        while let (seq, i) = bySignature[s]?.first {
            guard let at = position(seq), !held[at].expectations[i].fulfilled else { bySignature[s]!.removeFirst(); continue }
            if let iface, held[at].expectations[i].iface != iface { break }
            bySignature[s]!.removeFirst()
            held[at].expectations[i].fulfilled = true
            return (held[at].number, held[at].expectations[i].why)
        }
        return nil
    }

    /// Adds a frame and its explanation. `outgoing`: the capture shows the host sending it;
    /// `matched`: it was the answer `predicted` found.
    /// `leftBy`: the interface the capture itself shows a sent frame on (its interface index or
    /// source MAC), when it shows one.
    public mutating func add(number: Int, time: Double, outgoing: Bool, iface: String, frame: UnsafeRawBufferPointer, linkType: LinkType,
                             report: FrameReport, matched: Bool, leftBy: String? = nil) {
        lastTime = max(lastTime, time)
        // Only an interface the capture shows the host sending on can witness its answers.
        if outgoing { seenInterfaces.insert(iface) }
        var h = Held(seq: nextSeq, number: number, time: time, outgoing: outgoing,
                     verdict: report.verdict, holdUntil: time + window)
        nextSeq += 1
        let decoded = Self.decode(frame, linkType: linkType)
        let own = outgoing ? Self.signature(frame, linkType: linkType) : nil
        if outgoing {
            if !matched && checksSends {
                h.findings += checkSent(decoded, report: report, own: own)
                // Sent, but by another way than the capture shows: the model's route is not the host's.
                if let shown = leftBy, report.verdict.action == .send, let route = report.route, case .output = route.input,
                   let dev = route.device, dev != shown {
                    h.findings.append(WitnessFinding(kind: .contradiction, capture: "it leaving by \(shown)",
                                                     model: "the output route sends it by \(dev): " + (route.prefix.map { "\($0)" } ?? "")))
                }
            }
            if let c = decoded?.connection, decoded?.hasACK == true { fulfilLoosely(c) }
        } else if let d = decoded {
            h.ipIdentity = d.identity
            h.ttl = d.ttl
            h.flow = d.flow
        }
        for e in report.emitted where e.why != "sent" {
            // A forwarded packet modelled from its outgoing copy: the copy is this frame.
            guard let s = e.bytes.withUnsafeBytes({ Self.signature($0, linkType: .ethernet) }), s != own else { continue }
            let d = e.bytes.withUnsafeBytes { Self.decode($0, linkType: .ethernet) }
            let loose = d?.isPureACK == true ? d?.connection : nil
            let deadline = time + (e.why.hasSuffix("(delayed-ACK timer)") ? delayedWindow : window)
            h.holdUntil = max(h.holdUntil, deadline)
            var x = Expectation(signature: s, connection: loose, iface: e.iface, bytes: e.bytes, why: e.why, deadline: deadline)
            x.rateLimited = !icmpAllowed(e.bytes, at: time)
            h.expectations.append(x)
        }
        held.append(h)
    }

    /// Enters the held frames not yet indexed into the indexes, in the order they were added.
    mutating func index() {
        guard indexedTo < nextSeq else { return }
        if let first = held.first?.seq {
            for at in max(indexedTo, first) - first ..< held.count {
                let h = held[at]
                for (i, e) in h.expectations.enumerated() {
                    bySignature[e.signature, default: Deque()].append((h.seq, i))
                    if let c = e.connection { byConnection[c, default: Deque()].append((h.seq, i)) }
                }
                if let id = h.ipIdentity { byIdentity[id] = h.seq }
                if let f = h.flow { lastReceived[f] = h.seq }
            }
        }
        indexedTo = nextSeq
    }

    /// Hands over the frames whose window has passed (or that no longer fit), oldest first, in
    /// the order they were added: each frame's number and what the witness found.
    public mutating func release(_ body: (Int, [WitnessFinding]) -> Void) {
        // The oldest frame is asked in place: `held.first` copied it (a retain and a release for
        // each of its fields) at every frame.
        while !held.isEmpty, held[0].holdUntil < lastTime || held.count > capacity
                || held[0].expectations.allSatisfy(\.fulfilled) && !isReferenced(outgoing: held[0].outgoing, time: held[0].time) {
            let (n, f) = pop(endOfCapture: false)
            body(n, f)
        }
    }

    /// The capture ended (or reading stopped): every frame, with what it still waited for.
    public mutating func finish(_ body: (Int, [WitnessFinding]) -> Void) {
        while !held.isEmpty {
            let (n, f) = pop(endOfCapture: true)
            body(n, f)
        }
    }

    /// A frame read only for what held frames wait for (past -c): a send fulfils predictions.
    public mutating func observe(_ frame: UnsafeRawBufferPointer, linkType: LinkType, iface: String?, time: Double) {
        observe(time: time)
        _ = predicted(frame, linkType: linkType, iface: iface)
        if let d = Self.decode(frame, linkType: linkType), let c = d.connection, d.hasACK { fulfilLoosely(c) }
    }

    public mutating func observe(time: Double) { lastTime = max(lastTime, time) }

    /// True while nothing is held (reading may stop).
    public var isEmpty: Bool { held.isEmpty }

    /// A received frame may still be paired with a forwarded copy or an answer until its window passes.
    func isReferenced(outgoing: Bool, time: Double) -> Bool { !outgoing && time + window >= lastTime }

    mutating func pop(endOfCapture: Bool) -> (Int, [WitnessFinding]) {
        var h = held.removeFirst()
        let indexed = h.seq < indexedTo
        if indexed, let id = h.ipIdentity, byIdentity[id] == h.seq { byIdentity[id] = nil }
        if indexed, let f = h.flow, lastReceived[f] == h.seq { lastReceived[f] = nil }
        // (No interface seen sending: nothing to check, and no name hashed per expectation.)
        let checked = checksAnswers && checksSends && !seenInterfaces.isEmpty
        for e in h.expectations where checked && !e.fulfilled {
            guard seenInterfaces.contains(e.iface) else { continue }   // an interface the capture does not show
            let waited = lastTime - h.time
            if e.rateLimited {
                h.findings.append(WitnessFinding(kind: .unconfirmed, capture: "no \(e.summary) on \(e.iface)",
                                                 model: "the kernel's ICMP rate limits (icmp_ratelimit, icmp_msgs_per_sec: not modelled) would hold it back here"))
            } else if e.deadline < lastTime {
                h.findings.append(WitnessFinding(kind: .contradiction, capture: "no \(e.summary) on \(e.iface) within \(Self.seconds(e.deadline - h.time)) s",
                                                 model: "the host sends it (\(e.why))"))
            } else {
                h.findings.append(WitnessFinding(kind: .unconfirmed,
                                                 capture: endOfCapture ? "the capture ends \(Self.seconds(waited)) s later, before it could show \(e.summary) on \(e.iface)"
                                                    : "\(e.summary) on \(e.iface) not waited for: over \(capacity) frames in flight (the witness holds at most that many)",
                                                 model: "the host sends it (\(e.why))"))
            }
        }
        for e in h.expectations where indexed {
            while let f = bySignature[e.signature]?.first, f.seq <= h.seq { bySignature[e.signature]!.removeFirst() }
            if bySignature[e.signature]?.isEmpty == true { bySignature[e.signature] = nil }
            if let c = e.connection {
                while let f = byConnection[c]?.first, f.seq <= h.seq { byConnection[c]!.removeFirst() }
                if byConnection[c]?.isEmpty == true { byConnection[c] = nil }
            }
        }
        return (h.number, h.findings)
    }

    func position(_ seq: Int) -> Int? {
        guard let first = held.first?.seq, seq >= first, seq - first < held.count else { return nil }
        return seq - first
    }

    /// A segment the host sends on a connection carries every ACK the model predicted on it.
    mutating func fulfilLoosely(_ c: ConnectionKey) {
        index()
        guard let list = byConnection[c] else { return }
        for (seq, i) in list { if let at = position(seq) { held[at].expectations[i].fulfilled = true } }
        byConnection[c] = nil
    }

    /// A frame the host sent, that no prediction explained: what in the model contradicts it.
    mutating func checkSent(_ d: Decoded?, report: FrameReport, own: PredictedReplies.Signature?) -> [WitnessFinding] {
        index()
        var out: [WitnessFinding] = []
        let v = report.verdict
        if v.action == .fail || v.action == .drop {
            out.append(WitnessFinding(kind: .contradiction, capture: "the host sending this frame",
                                      model: Self.verdictText(v)))
        }
        guard let d else { return out }
        // A forwarded copy: the frame arrived (TTL one higher) and left again.
        if let id = d.identity, let seq = byIdentity[id], let at = position(seq), let ttl = d.ttl,
           held[at].verdict.action != .forward, held[at].ttl == ttl &+ 1 {
            let orig = held[at]
            out.append(WitnessFinding(kind: .contradiction, capture: "frame \(orig.number) forwarded (this is its copy, TTL \(ttl &+ 1) → \(ttl))",
                                      model: "frame \(orig.number): " + Self.verdictText(orig.verdict)))
            return out
        }
        // An answer only the kernel makes, to a frame the capture shows.
        // (One the model did predict, sent again — a SYN-ACK the request timer retransmits — is not.)
        if let kind = d.kernelAnswer, let key = d.answers, let seq = lastReceived[key], let at = position(seq),
           !held[at].expectations.contains(where: { $0.signature == own }) {
            let orig = held[at]
            out.append(WitnessFinding(kind: .contradiction, capture: "the host answering frame \(orig.number) with \(kind), which the model does not predict",
                                      model: "frame \(orig.number): " + Self.verdictText(orig.verdict)))
        }
        return out
    }

    /// icmpv4_xrlim_allow and icmp_global_allow for an ICMP error the model emits (not
    /// fragmentation-needed, which is never limited): false when the buckets are empty.
    mutating func icmpAllowed(_ frame: [UInt8], at time: Double) -> Bool {
        guard frame.count >= 14 + 20 + 2, frame[12] == 8, frame[13] == 0, frame[14 + 9] == 1 else { return true }
        let t = 14 + Int(frame[14] & 0x0f) * 4
        guard frame.count > t + 1, frame[t] == 3 || frame[t] == 11 || frame[t] == 12, !(frame[t] == 3 && frame[t + 1] == 4) else { return true }
        let dst = UInt32(frame[30]) << 24 | UInt32(frame[31]) << 16 | UInt32(frame[32]) << 8 | UInt32(frame[33])
        icmpGlobal.tokens = min(50, icmpGlobal.tokens + max(0, time - icmpGlobal.at) * 1000)
        icmpGlobal.at = time
        guard icmpGlobal.tokens >= 1 else { return false }
        var peer = icmpPeers[dst] ?? (tokens: 6, at: time)
        peer.tokens = min(6, peer.tokens + max(0, time - peer.at))
        peer.at = time
        defer { if icmpPeers[dst] != nil || icmpPeers.count < 65_536 { icmpPeers[dst] = peer } }
        guard peer.tokens >= 1 else { return false }
        peer.tokens -= 1
        icmpGlobal.tokens -= 1
        return true
    }

    // MARK: what a frame is, as far as the witness asks

    /// A flow as the frame that opens it carries it: addresses, protocol and ports (ICMP echo: type
    /// 8 and the identifier; ARP: the asker's and the asked-for address). An answer names the
    /// flow of the frame it answers (an ICMP error by the header it quotes).
    struct FlowKey: Hashable { var addresses: UInt64; var rest: UInt64 }

    struct Decoded {
        var identity: IPIdentity?
        var ttl: UInt8?
        var connection: ConnectionKey?
        var hasACK = false
        var isPureACK = false
        var flow: FlowKey?
        /// What kind of answer only the kernel sends this is, and the flow it answers.
        var kernelAnswer: String?
        var answers: FlowKey?
    }

    static func flowKey(src: UInt32, dst: UInt32, proto: UInt8, l4: UnsafeRawBufferPointer) -> FlowKey? {
        let addresses = UInt64(src) << 32 | UInt64(dst)
        switch proto {
        case 6, 17:
            guard l4.count >= 4 else { return nil }
            return FlowKey(addresses: addresses, rest: UInt64(proto) << 32 | UInt64(l4.u16(0)) << 16 | UInt64(l4.u16(2)))
        case 1:
            guard l4.count >= 6, l4.u8(0) == 8 else { return nil }
            return FlowKey(addresses: addresses, rest: 1 << 32 | 8 << 16 | UInt64(l4.u16(4)))
        default:
            return FlowKey(addresses: addresses, rest: UInt64(proto) << 32)
        }
    }

    static func decode(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> Decoded? {
        guard case .success(let link) = LinkFrame.decode(frame, as: linkType) else { return nil }
        let net = link.network
        var d = Decoded()
        if link.networkProtocol == .arp {
            guard net.count >= 28 else { return nil }
            let op = net.u16(6), sip = net.u32(14), tip = net.u32(24)
            if op == 1 { d.flow = FlowKey(addresses: UInt64(sip) << 32 | UInt64(tip), rest: 0x0806 << 32) }
            if op == 2 {
                d.kernelAnswer = "an ARP reply"
                d.answers = FlowKey(addresses: UInt64(tip) << 32 | UInt64(sip), rest: 0x0806 << 32)
            }
            return d
        }
        guard link.networkProtocol == .ipv4, net.count >= 20, net.u8(0) >> 4 == 4 else { return nil }
        let hlen = Int(net.u8(0) & 0x0f) * 4
        guard hlen >= 20, net.count >= hlen else { return nil }
        let src = net.u32(12), dst = net.u32(16), proto = net.u8(9)
        d.identity = IPIdentity(addresses: UInt64(src) << 32 | UInt64(dst), ident: net.u16(4), proto: proto)
        d.ttl = net.u8(8)
        let firstFragment = net.u16(6) & 0x1fff == 0
        let l4 = net.tail(from: hlen)
        guard firstFragment else { return d }
        d.flow = flowKey(src: src, dst: dst, proto: proto, l4: l4)
        switch proto {
        case 6 where l4.count >= 14:
            let flags = l4.u8(13)
            d.connection = ConnectionKey(addresses: UInt64(src) << 32 | UInt64(dst), ports: l4.u32(0))
            d.hasACK = flags & 0x10 != 0
            let dataOffset = Int(l4.u8(12) >> 4) * 4
            let total = Int(net.u16(2))
            d.isPureACK = flags & 0x17 == 0x10 && total - hlen <= dataOffset
            let reverse = FlowKey(addresses: UInt64(dst) << 32 | UInt64(src), rest: 6 << 32 | UInt64(l4.u16(2)) << 16 | UInt64(l4.u16(0)))
            if flags & 0x12 == 0x12 { d.kernelAnswer = "a SYN-ACK"; d.answers = reverse }
            // A RST|ACK with sequence 0 answers a segment no socket took; one in sequence may be close()'s.
            else if flags & 0x14 == 0x14 && l4.u32(4) == 0 { d.kernelAnswer = "a RST"; d.answers = reverse }
        case 1 where l4.count >= 8:
            let type = l4.u8(0)
            if type == 0 {
                d.kernelAnswer = "an echo reply"
                d.answers = FlowKey(addresses: UInt64(dst) << 32 | UInt64(src), rest: 1 << 32 | 8 << 16 | UInt64(l4.u16(4)))
            } else if [3, 4, 5, 11, 12].contains(type), l4.count >= 8 + 20 {
                let q = l4.tail(from: 8)
                let qh = Int(q.u8(0) & 0x0f) * 4
                if qh >= 20, q.count >= qh {
                    d.kernelAnswer = "an ICMP error (type \(type) code \(l4.u8(1)))"
                    d.answers = flowKey(src: q.u32(12), dst: q.u32(16), proto: q.u8(9), l4: q.tail(from: qh))
                }
            }
        default: break
        }
        return d
    }

    /// The signature `predicted` matches on: addresses, protocol and ports (TCP: with its flags;
    /// ICMP: type, code and the next four bytes — an echo's identifier and sequence — but not the
    /// checksum, which covers data a snap length may have cut); for ARP, the operation and the
    /// two protocol addresses.
    static func signature(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> PredictedReplies.Signature? {
        guard case .success(let link) = LinkFrame.decode(frame, as: linkType) else { return nil }
        let net = link.network
        if link.networkProtocol == .arp {
            guard net.count >= 28 else { return nil }
            return PredictedReplies.Signature(addresses: UInt64(net.u32(14)) << 32 | UInt64(net.u32(24)), rest: 0x0806_0000 | UInt64(net.u16(6)))
        }
        if link.networkProtocol == .ipv6 {
            // Both addresses folded into one word; the next header and, as for IPv4, what tells
            // one answer from another (ICMPv6 type, code and the next four bytes; TCP's flags
            // and ports; else the first four bytes).
            guard net.count >= 48 else { return nil }
            var addresses: UInt64 = 0
            for i in 8..<40 { addresses = (addresses << 5 | addresses >> 59) ^ UInt64(net.u8(i)) }
            let next = UInt64(net.u8(6)), l4 = net.tail(from: 40)
            switch next {
            case 58: return PredictedReplies.Signature(addresses: addresses, rest: 58 << 56 | UInt64(l4.u16(0)) << 32 | UInt64(l4.u32(4)))
            case 6 where l4.count >= 14:
                return PredictedReplies.Signature(addresses: addresses, rest: 6 << 56 | UInt64(l4.u8(13)) << 32 | UInt64(l4.u32(0)))
            default: return PredictedReplies.Signature(addresses: addresses, rest: next << 56 | UInt64(l4.u32(0)))
            }
        }
        guard link.networkProtocol == .ipv4, net.count >= 20 else { return nil }
        let hlen = Int(net.u8(0) & 0x0f) * 4
        guard hlen >= 20, net.count >= hlen + 4 else { return nil }
        let l4 = net.tail(from: hlen)
        let addresses = UInt64(net.u32(12)) << 32 | UInt64(net.u32(16))
        let proto = UInt64(net.u8(9))
        if net.u16(6) & 0x1fff != 0 { return PredictedReplies.Signature(addresses: addresses, rest: proto << 48 | 0xffff_ffff) }
        switch proto {
        case 1 where l4.count >= 8:
            return PredictedReplies.Signature(addresses: addresses, rest: 1 << 56 | UInt64(l4.u16(0)) << 32 | UInt64(l4.u32(4)))
        case 6 where l4.count >= 14:
            return PredictedReplies.Signature(addresses: addresses, rest: 6 << 56 | UInt64(l4.u8(13)) << 32 | UInt64(l4.u32(0)))
        default:
            return PredictedReplies.Signature(addresses: addresses, rest: proto << 56 | UInt64(l4.u32(0)))
        }
    }

    static func verdictText(_ v: Verdict) -> String {
        var s = v.action.rawValue
        if let r = v.reason { s += " " + r }
        if let e = v.errno { s += " " + e }
        if !v.function.isEmpty { s += " in \(v.function)" }
        return v.detail.isEmpty ? s : s + ": " + v.detail
    }

    static func seconds(_ t: Double) -> String {
        let ms = (t * 1000).rounded()
        return ms < 1000 ? String(Double(ms) / 1000) : String(Int(t.rounded()))
    }
}
