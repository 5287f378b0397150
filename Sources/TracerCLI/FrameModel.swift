// One host's model over a capture, a frame at a time: which way each frame went, the interface,
// and the kernel's report — received, the host's own answer (the witness matched it), a
// forwarded copy, or an application's send. `explain` and `replay` run one; `diff` runs two
// over the same frames.
import Capture
import HostModel
import Kernel
import Wire

final class FrameModel {
    let host: Host
    let kernel: Kernel
    /// The command's own direction (explain: received, replay --tx: sent).
    let direction: Direction
    let send: SendOptions
    let resolver: ArrivalInterface
    var witness: Witness
    /// Set: each received frame the model drops gets its checked why-not.
    var whyNot: WhyNot?

    /// The host's own (not loopback) MACs, asked of every frame's source and destination (a
    /// scan of two or three: cheaper than hashing six bytes, and no copy of each Interface).
    private let ownMACs: [MACAddress]

    init(host: Host, kernel: Kernel, direction: Direction, send: SendOptions, fallbackInterface: String?,
         witness: Witness) {
        self.host = host; self.kernel = kernel; self.direction = direction; self.send = send
        self.ownMACs = host.interfaces.filter { !$0.isLoopback }.compactMap(\.mac)
        self.resolver = ArrivalInterface(host: host, fallback: fallbackInterface)
        self.witness = witness
    }

    /// What a frame is to this host.
    struct Placed {
        var dir: Direction
        var iface: Interface?
        var time: Double
    }

    func place(_ frame: CapturedFrame, linkType: LinkType) -> Placed {
        // The link layer says where the frame arrived and which way it went; the whole decode is
        // only printed, never needed for the totals.
        let link = try? LinkFrame.decode(frame.bytes, as: linkType).get()
        let dir = direction(of: link)
        let iface = dir == .tx ? resolver.departure(for: link) : resolver.interface(for: link)
        return Placed(dir: dir, iface: iface, time: Double(frame.timestamp.seconds) + Double(frame.timestamp.nanoseconds) / 1e9)
    }

    /// The kernel's report for `frame` (placed by `place`), and whether the witness matched it
    /// as a predicted answer or forwarded copy. The caller adds it to the witness (`witnessed`).
    /// `bytes`: the frame's bytes as captured, when the model took a copy of them (nil for a
    /// frame a snap length cut, whose copy is padded).
    func explain(_ frame: CapturedFrame, _ p: Placed, linkType: LinkType, breakpoint: String?) -> (report: FrameReport, matched: Bool, bytes: [UInt8]?) {
        var matched = false
        var r: FrameReport
        // A frame a snap length cut is modelled on its headers, at its wire length: the bytes
        // past the cut are zeros the checksums are not verified over.
        let cut = frame.isSnapped ? FrameListing.snapCut(frame.bytes, linkType: linkType) : nil
        let uncaptured = frame.isSnapped ? frame.wireLength - frame.bytes.count : 0
        // The frame's bytes as the model takes them, copied once (the model, why-not and the
        // caller's held frame share them).
        var copied: [UInt8]? = nil
        func bytes() -> [UInt8] {
            if let copied { return copied }
            let b = uncaptured > 0 ? Array(frame.bytes) + [UInt8](repeating: 0, count: uncaptured) : Array(frame.bytes)
            copied = b
            return b
        }
        /// The captured bytes alone: the same copy unless a snap length cut the frame.
        func captured() -> [UInt8] { uncaptured == 0 ? bytes() : Array(frame.bytes) }
        if let cut {
            r = FrameReport(verdict: Verdict(action: .error, reason: nil, function: "", detail: cut), iface: p.iface?.name ?? "?")
        } else if p.dir == .rx && p.iface == nil {
            r = FrameReport(verdict: Verdict(action: .error, reason: nil, function: "", detail: "no interface to receive on"),
                                 iface: p.iface?.name ?? "?")
        } else if p.dir == .rx, let iface = p.iface {
            r = kernel.receive(frame: bytes(), linkType: linkType, iface: iface, time: p.time,
                                    breakpoint: breakpoint, uncaptured: uncaptured,
                                    timestamp: (frame.timestamp.seconds, frame.timestamp.nanoseconds))
        } else if let (n, why) = witness.predicted(frame.bytes, linkType: linkType, iface: p.iface?.name) {
            kernel.observeSent(frame: captured(), linkType: linkType)
            matched = true
            r = FrameReport(verdict: Verdict(action: .send, reason: nil, function: "",
                                                  detail: why == "forwarded" ? "frame \(n) forwarded, as the model predicted there"
                                                    : "the kernel's own answer to frame \(n), as the model predicted there"),
                                 iface: p.iface?.name ?? "?")
        } else if direction == .rx, let forwarded = kernel.forwardedArrival(frame: bytes(), linkType: linkType, departure: p.iface,
                                                                               time: p.time, breakpoint: breakpoint) {
            r = forwarded
            matched = r.verdict.action == .forward
        } else {
            kernel.observeSent(frame: captured(), linkType: linkType)
            r = kernel.transmit(frame: bytes(), linkType: linkType, iface: nil, time: p.time,
                                     breakpoint: breakpoint, options: send, leftBy: p.iface)
        }
        if let whyNot, r.verdict.action == .drop, p.dir == .rx, let iface = p.iface, cut == nil {
            r.whyNot = whyNot.suggest(r, frame: bytes(), linkType: linkType, iface: iface, time: p.time, kernel: kernel)
        }
        if uncaptured > 0 && cut == nil && kernel.recordsStacks {
            r.verdict.detail += " (the capture holds \(frame.bytes.count) of its \(frame.wireLength) bytes: modelled on its headers; checksums and data past the cut not checked)"
        }
        return (r, matched, uncaptured == 0 ? copied : nil)
    }

    /// Hands the frame and its report to the witness.
    func witnessed(_ frame: CapturedFrame, _ p: Placed, report: FrameReport, matched: Bool, linkType: LinkType) {
        witness.add(number: frame.number, time: p.time, outgoing: p.dir == .tx, iface: p.dir == .tx ? report.iface : p.iface?.name ?? "?",
                    frame: frame.bytes, linkType: linkType, report: report, matched: matched,
                    leftBy: p.dir == .tx ? p.iface?.name : nil)
    }

    /// Outgoing when the capture says so (SLL/SLL2 OUTGOING) or the frame comes from one of the
    /// host's MACs; incoming when SLL says so or it is addressed to one of them; else the
    /// command's own direction (explain: received, replay --tx: sent).
    func direction(of link: LinkFrame?) -> Direction {
        if let t = link?.packetType { return t == .outgoing ? .tx : .rx }
        if let e = link?.ethernet {
            if ownMACs.contains(e.source) { return .tx }
            if ownMACs.contains(e.destination) || e.destination.isBroadcast && direction == .rx { return .rx }
        }
        return direction
    }
}
