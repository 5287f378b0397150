// `tracer verify`: each received frame of a capture goes both through the model and, in
// namespaces built from the same snapshot, through the real kernel; the two are compared field
// by field. Root only. Everything made is removed afterwards — also on SIGINT/SIGTERM, and a run
// killed outright is cleaned up by the next one (Leftovers).
import Capture
import Dispatch
import Foundation
import HostModel
import Kernel
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// Foundation has a `Host` of its own; ours is the network host.
typealias Host = HostModel.Host

public struct FrameVerdict {
    public var capture: String
    public var frame: Int
    public var summary: String
    public var results: [FieldResult]
    public var skipped: String?
    public var agrees: Bool { skipped != nil || results.allSatisfy(\.agrees) }
}

public final class Verifier {
    let snapshot: Snapshot
    let host: Host
    let profile: Profile
    /// Test hook: rename this drop reason in the model's reports before comparing (so a test can
    /// show that a wrong model is caught). Not in --help.
    public var mutateReason: (from: String, to: String)?

    public init(snapshotDirectory: String, profile: Profile) throws {
        snapshot = try Snapshot.read(directory: snapshotDirectory)
        host = try Host(snapshot: snapshot)
        self.profile = profile
    }

    /// Why this machine cannot run a verification, or nil.
    public static func unavailableReason() -> String? {
        if geteuid() != 0 { return "tracer verify needs root (network namespaces and tracefs)" }
        if (try? Shell.run(["ip", "-V"])) == nil { return "tracer verify needs iproute2's ip" }
        if !Tracing.available { return "tracer verify needs tracefs at /sys/kernel/tracing with the skb events" }
        return nil
    }

    nonisolated(unsafe) static var cleanup: (() -> Void)?
    nonisolated(unsafe) static let signalSources: [DispatchSourceSignal] = [SIGINT, SIGTERM, SIGHUP].map { sig in
        signal(sig, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        s.setEventHandler {
            Shell.stopping = true
            cleanup?()
            Leftovers.removeOwn()
            Tracing.remove(instance: "\(Tracing.root)/instances/trv-\(getpid())-trace")
            exit(128 + sig)
        }
        s.resume()
        return s
    }

    /// Runs every received frame of `capture`; `record` receives the kernel's side as JSON lines.
    public func run(capture: String, filter: String? = nil, record: ((String) -> Void)? = nil,
                    progress: (FrameVerdict) -> Void) throws -> [FrameVerdict] {
        if let why = Self.unavailableReason() { throw VerifyError(why) }
        Leftovers.clean()
        let reader = try CaptureReader(path: capture)
        guard reader.linkType == .ethernet else {
            throw VerifyError("\(capture): tracer verify injects Ethernet (EN10MB) frames, not \(reader.linkType)")
        }
        let pf = try filter.map { try PacketFilter(expression: $0, linkType: reader.linkType) }
        let topology = Topology(snapshot: snapshot, host: host)
        var tracing: Tracing? = nil
        var wires: Wires? = nil
        var nftrace: NFTrace? = nil
        let sender = Sender(host: host)
        let done = { sender.close(); wires?.close(); tracing?.close(); nftrace?.close(); topology.destroy() }
        Self.cleanup = done
        _ = Self.signalSources
        defer { done(); Self.cleanup = nil }
        try topology.build()
        tracing = try Tracing(name: "trv-\(getpid())-trace")
        wires = try Wires(topology: topology)
        if topology.hasRuleset { nftrace = try NFTrace(netns: topology.hostNS) }
        usleep(300_000)
        _ = nftrace?.take()
        _ = wires!.drain()
        _ = tracing!.read()

        let kernel = Kernel(host: host, profile: profile)
        let comparison = Comparison()
        var isn: [[UInt8]: UInt32] = [:]
        /// The kernel's TCP timestamp clock against the capture's, by connection (see learnISN).
        var tsShift: [[UInt8]: UInt32] = [:]
        var replies = PredictedReplies()
        var out: [FrameVerdict] = []
        var clock: (capture: Double, wall: Double)? = nil
        while let frame = try reader.next() {
            if let pf, !pf.matches(frame) { continue }
            let bytes = Array(frame.bytes)
            let time = Double(frame.timestamp.seconds) + Double(frame.timestamp.nanoseconds) / 1e9
            let summary = bytes.withUnsafeBytes { Dissection($0, linkType: .ethernet).summary }
            let eth = bytes.withUnsafeBytes { EthernetFrame.parse($0).value.map { ($0.source, $0.destination) } }
            // A frame the host sends: its answer to an earlier frame (the model predicted it),
            // or an application's send, which a real socket makes again.
            var sent: [UInt8]? = nil
            if let (src, _) = eth, host.interfaces.contains(where: { $0.mac == src }) {
                kernel.observeSent(frame: bytes, linkType: .ethernet)
                if let n = bytes.withUnsafeBytes({ replies.match($0, linkType: .ethernet) }) {
                    let v = FrameVerdict(capture: capture, frame: frame.number, summary: summary, results: [],
                                         skipped: "the host's answer to frame \(n), compared there")
                    out.append(v); progress(v)
                    continue
                }
                sent = bytes.count > 14 && bytes[12] == 0x08 && bytes[13] == 0x00 ? Array(bytes[14...]) : []
            }
            let iface = eth.flatMap { host.interface(mac: $0.1) } ?? host.firstNonLoopback!
            guard sent != nil || topology.wires[iface.name] != nil else { continue }
            // A send is modelled first: the socket the model takes it to come from (bound to its
            // source address or not) is the one the kernel is given, made before the window opens.
            let modelledSend = sent == nil ? nil : kernel.transmit(frame: bytes, linkType: .ethernet, iface: nil, time: time)
            let bound = modelledSend?.socket?.contains("(bound to ") == true
            if let sent {
                try inNetns(topology.hostNS) { sender.prepare(sent, bindSource: bound) }
                usleep(50_000)
                _ = tracing!.read()
                _ = nftrace?.take()
            }
            let before = try inNetns(topology.hostNS) { Self.snmp() }
            // The capture's clock: gaps of over a second are waited out (timers must fire).
            let now = ProcessInfo.processInfo.systemUptime
            if clock == nil { clock = (time, now) }
            let lag = (time - clock!.capture) - (now - clock!.wall)
            // A long gap is waited out reading the trace every half second, so what the timers
            // do meanwhile is not overwritten by the rest of the machine's events.
            var waited: [TraceEvent] = []
            if lag > 1 {
                let until = now + lag
                while ProcessInfo.processInfo.systemUptime < until {
                    usleep(UInt32(min(500_000, max(1_000, (until - ProcessInfo.processInfo.systemUptime) * 1_000_000))))
                    waited += tracing!.read(hostDevices: Set(topology.wires.keys))
                }
            }
            var injected: [UInt8] = []
            var syscall: String? = nil
            if let sent {
                let (outcome, why) = try inNetns(topology.hostNS) { sender.send(sent, bindSource: bound) }
                if let why {
                    let v = FrameVerdict(capture: capture, frame: frame.number, summary: summary, results: [], skipped: why)
                    out.append(v); progress(v)
                    usleep(150_000)
                    _ = wires!.drain(); _ = tracing!.read(); _ = nftrace?.take()
                    continue
                }
                syscall = outcome
            } else {
                injected = Self.shiftAck(bytes, isn: isn, tsShift: tsShift)
                try wires!.send(injected, on: iface.name)
            }
            usleep(150_000)
            let after = try inNetns(topology.hostNS) { Self.snmp() }
            let emitted = wires!.drain(except: injected)
            for e in emitted { Self.learnISN(e.bytes, into: &isn) }
            if let sent { for e in emitted { Self.learnISN(e.bytes, sentFor: sent, into: &isn, tsShift: &tsShift) } }
            let events = waited + tracing!.read(hostDevices: Set(topology.wires.keys))
            var counters: [String: Int] = [:]
            for (name, value) in after {
                let delta = value - (before[name] ?? 0)
                if delta != 0 { counters[name] = delta }
            }
            var kernelSide = KernelRecord(frame: frame.number, iface: sent == nil ? iface.name : "tx",
                                      events: events.map { .init(event: $0.event, text: $0.text, reason: $0.reason, location: $0.location, stack: $0.stack) },
                                      counters: counters, emitted: emitted)
            kernelSide.nftrace = nftrace?.take()
            kernelSide.syscall = syscall
            record?(kernelSide.jsonLine)
            var report = modelledSend ?? kernel.receive(frame: bytes, linkType: .ethernet, iface: iface, time: time)
            replies.remember(report, frame: frame.number)
            if let m = mutateReason {
                if report.verdict.reason == m.from { report.verdict.reason = m.to }
                report.ends = report.ends.map { var e = $0; if e.reason == m.from { e.reason = m.to }; return e }
            }
            let v = FrameVerdict(capture: capture, frame: frame.number, summary: summary, results: comparison.compare(report, kernelSide))
            out.append(v); progress(v)
        }
        return out
    }

    /// Every counter in /proc/self/net/{snmp,netstat} under its nstat name.
    static func snmp() -> [String: Int] {
        var out: [String: Int] = [:]
        for path in ["/proc/self/net/snmp", "/proc/self/net/netstat"] {
            let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
            var i = 0
            while i + 1 < lines.count {
                let head = lines[i].split(separator: " "), vals = lines[i + 1].split(separator: " ")
                if let prefix = head.first?.dropLast(), head.count == vals.count {
                    for (n, v) in zip(head.dropFirst(), vals.dropFirst()) { out[String(prefix) + n] = Int(v) }
                }
                i += 2
            }
        }
        return out
    }

    /// The ISN of each SYN-ACK the host sends, by (peer ip, peer port, our port).
    static func learnISN(_ f: [UInt8], into isn: inout [[UInt8]: UInt32]) {
        guard f.count >= 54, f[12] == 8, f[13] == 0, f[23] == 6 else { return }
        let t = 14 + Int(f[14] & 15) * 4
        guard f[t + 13] & 0x12 == 0x12 else { return }
        isn[Array(f[30..<34]) + Array(f[(t + 2)..<(t + 4)]) + Array(f[t..<(t + 2)])] =
            UInt32(f[t + 4]) << 24 | UInt32(f[t + 5]) << 16 | UInt32(f[t + 6]) << 8 | UInt32(f[t + 7])
    }

    /// A SYN the kernel sent for one the capture shows the host sending (connect()): the capture's
    /// answers acknowledge the captured ISN, so they are shifted by the kernel's less the capture's.
    static func learnISN(_ f: [UInt8], sentFor captured: [UInt8], into isn: inout [[UInt8]: UInt32], tsShift: inout [[UInt8]: UInt32]) {
        guard f.count >= 54, f[12] == 8, f[13] == 0, f[23] == 6, captured.count >= 40, captured[9] == 6 else { return }
        let t = 14 + Int(f[14] & 15) * 4, c = Int(captured[0] & 15) * 4
        guard f.count >= t + 8, captured.count >= c + 14, f[t + 13] & 0x12 == 0x02, captured[c + 13] & 0x12 == 0x02,
              Array(f[t..<(t + 4)]) == Array(captured[c..<(c + 4)]) else { return }
        func u32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3]) }
        let key = Array(f[30..<34]) + Array(f[(t + 2)..<(t + 4)]) + Array(f[t..<(t + 2)])
        isn[key] = u32(f, t + 4) &- u32(captured, c + 4)
        // Its timestamp clock too: the answers echo the captured TSval (PAWS checks the echo).
        if let k = tsValue(f, at: t), let v = tsValue(Array(repeating: 0, count: 14) + captured, at: 14 + c) { tsShift[key] = k &- v }
    }

    /// The offset of a TCP segment's timestamp option (kind 8) in `f`, its header at `t`.
    static func tsOption(_ f: [UInt8], at t: Int) -> Int? {
        guard f.count >= t + 20 else { return nil }
        var o = t + 20
        let end = min(f.count, t + Int(f[t + 12] >> 4) * 4)
        while o + 1 < end {
            if f[o] == 1 { o += 1; continue }
            if f[o] == 0 { break }
            if f[o] == 8, o + 10 <= end { return o }
            o += max(2, Int(f[o + 1]))
        }
        return nil
    }

    static func tsValue(_ f: [UInt8], at t: Int) -> UInt32? {
        tsOption(f, at: t).map { o in UInt32(f[o + 2]) << 24 | UInt32(f[o + 3]) << 16 | UInt32(f[o + 4]) << 8 | UInt32(f[o + 5]) }
    }

    /// The kernel picks a random ISN; captures made for the model count the host's sequence space
    /// from 0. Later segments of a connection get their ACK number shifted by the real ISN.
    static func shiftAck(_ frame: [UInt8], isn: [[UInt8]: UInt32], tsShift: [[UInt8]: UInt32] = [:]) -> [UInt8] {
        var f = frame
        guard f.count >= 54, f[12] == 8, f[13] == 0, f[23] == 6 else { return f }
        let t = 14 + Int(f[14] & 15) * 4
        let key = Array(f[26..<30]) + Array(f[t..<(t + 2)]) + Array(f[(t + 2)..<(t + 4)])
        guard f[t + 13] & 0x10 != 0, let base = isn[key] else { return f }
        let ack = (UInt32(f[t + 8]) << 24 | UInt32(f[t + 9]) << 16 | UInt32(f[t + 10]) << 8 | UInt32(f[t + 11])) &+ base
        f[t + 8] = UInt8(ack >> 24); f[t + 9] = UInt8((ack >> 16) & 0xff); f[t + 10] = UInt8((ack >> 8) & 0xff); f[t + 11] = UInt8(ack & 0xff)
        if let shift = tsShift[key], let o = tsOption(f, at: t) {
            let ecr = (UInt32(f[o + 6]) << 24 | UInt32(f[o + 7]) << 16 | UInt32(f[o + 8]) << 8 | UInt32(f[o + 9])) &+ shift
            f[o + 6] = UInt8(ecr >> 24); f[o + 7] = UInt8((ecr >> 16) & 0xff); f[o + 8] = UInt8((ecr >> 8) & 0xff); f[o + 9] = UInt8(ecr & 0xff)
        }
        f[t + 16] = 0; f[t + 17] = 0
        let total = Int(f[16]) << 8 | Int(f[17])
        let seg = Array(f[t..<(14 + total)])
        let pseudo = InternetChecksum.pseudoHeader(source: IPv4Address(UInt32(f[26]) << 24 | UInt32(f[27]) << 16 | UInt32(f[28]) << 8 | UInt32(f[29])),
                                                   destination: IPv4Address(UInt32(f[30]) << 24 | UInt32(f[31]) << 16 | UInt32(f[32]) << 8 | UInt32(f[33])),
                                                   protocol: 6, length: seg.count)
        let c = InternetChecksum.finish(InternetChecksum.sum(seg, initial: pseudo))
        f[t + 16] = UInt8(c >> 8); f[t + 17] = UInt8(c & 0xff)
        return f
    }
}
