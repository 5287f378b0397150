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
    /// The sending sockets' IP_MTU_DISCOVER / IPV6_MTU_DISCOVER, on both sides.
    public var pmtudisc: PMTUDisc = .want
    /// How the applications read their UDP sockets (--reader), on both sides.
    public var readers: [UInt16: ReaderPolicy] = [:]
    /// The model's per-packet softirq time (--service-time).
    public var serviceTime = 1e-6

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

    /// One frame of the capture, copied out of the reader (the replay looks ahead).
    struct Frame {
        var number: Int
        var time: Double
        var bytes: [UInt8]
    }

    /// Runs every frame of `capture`; `record` receives the kernel's side as JSON lines.
    ///
    /// A frame that arrived is injected on its interface's wire; one the host sent is its
    /// answer to an earlier frame (compared there), a timer's (a SYN retransmitted: waited for
    /// and compared), or an application's call, which a real socket makes again (Sender). TCP
    /// conversations are live-played (LivePlay). A capture that shows the host's own frames is
    /// a witness of its timing: it is replayed on its own clock, each frame's trace window
    /// closing when the next thing the replay does is due (at most 150 ms, so a kernel timer
    /// the capture shows did not fire before it does not fire here either); a capture of
    /// arrivals alone is replayed a frame at a time, 150 ms each, long gaps waited out.
    public func run(capture: String, filter: String? = nil, record: ((String) -> Void)? = nil,
                    progress: @escaping (FrameVerdict) -> Void) throws -> [FrameVerdict] {
        if let why = Self.unavailableReason() { throw VerifyError(why) }
        Leftovers.clean()
        let reader = try CaptureReader(path: capture)
        let linkType = reader.linkType
        guard Injection.supports(linkType) else {
            throw VerifyError("\(capture): tracer verify replays Ethernet, Linux cooked (SLL, SLL2) and raw IPv4 captures, not \(linkType)")
        }
        let pf = try filter.map { try PacketFilter(expression: $0, linkType: linkType) }
        var frames: [Frame] = []
        while let f = try reader.next() {
            if let pf, !pf.matches(f) { continue }
            frames.append(Frame(number: f.number, time: Double(f.timestamp.seconds) + Double(f.timestamp.nanoseconds) / 1e9, bytes: Array(f.bytes)))
        }
        let injection = Injection(host: host, linkType: linkType)
        let classified = frames.map { injection.classify($0.bytes) }
        let hostClock = classified.contains { if case .sent = $0 { return true } else { return false } }

        let topology = Topology(snapshot: snapshot, host: host)
        let (given, waiting) = (readers, ReaderPolicy.waitingPorts(host))
        topology.reads = { ReaderPolicy.of(port: $0, given: given, waiting: waiting) == .prompt }
        var tracing: Tracing? = nil
        var wires: Wires? = nil
        var nftrace: NFTrace? = nil
        let sender = Sender(host: host, pmtudisc: Int32(PMTUDisc.allCases.firstIndex(of: pmtudisc) ?? 1))
        let done = { topology.stopReading(); sender.close(); wires?.close(); tracing?.close(); nftrace?.close(); topology.destroy() }
        Self.cleanup = done
        _ = Self.signalSources
        defer { done(); Self.cleanup = nil }
        try topology.build()
        sender.listeners = topology.listeners
        sender.onUDPSocket = { fd, port in if topology.reads(port) { topology.read(fd) } }
        tracing = try Tracing(name: "trv-\(getpid())-trace")
        wires = try Wires(topology: topology)
        if topology.hasRuleset { nftrace = try NFTrace(netns: topology.hostNS) }
        usleep(300_000)
        _ = nftrace?.take()
        _ = wires!.drain()
        _ = tracing!.read()
        let devices = Set(topology.wires.keys)
        let ownAddresses = Set(host.interfaces.flatMap(\.ipv4Addresses).map { "\($0.address)" })

        let kernel = Kernel(host: host, profile: profile)
        kernel.readers = readers
        kernel.serviceTime = serviceTime
        let comparison = Comparison()
        let live = LivePlay()
        var replies = PredictedReplies()
        var out: [FrameVerdict] = []
        /// The capture's clock against the wall's: re-anchored whenever the replay falls behind,
        /// so each gap is kept from where the replay really is.
        var clock: (capture: Double, wall: Double)? = nil
        let uptime = { ProcessInfo.processInfo.systemUptime }
        /// The comparisons of a burst's frames, made once it ends.
        var pending: [() -> Void] = []
        func flush() {
            for c in pending { c() }
            pending = []
        }
        func skip(_ i: Int, _ why: String) {
            flush()
            let v = FrameVerdict(capture: capture, frame: frames[i].number, summary: Self.summary(frames[i].bytes, linkType), results: [], skipped: why)
            out.append(v); progress(v)
        }
        for (i, frame) in frames.enumerated() {
            let time = frame.time
            let bytes = frame.bytes
            var sent: [UInt8]? = nil
            var timer = false
            var report: FrameReport
            var iface: Interface? = nil
            switch classified[i] {
            case .unreplayable(let why):
                skip(i, why)
                continue
            case .sent(let ethernet, _):
                kernel.observeSent(frame: bytes, linkType: linkType)
                live.captured(host: ethernet)
                comparison.observeCaptured(ethernet)
                if let n = bytes.withUnsafeBytes({ replies.match($0, linkType: linkType) }) {
                    skip(i, "the host's answer to frame \(n), compared there")
                    continue
                }
                if Self.isARP(ethernet) {
                    skip(i, "the kernel's own ARP (it resolves its neighbours itself when it sends; the snapshot's entries are installed permanent): not replayed")
                    continue
                }
                timer = sender.isRetransmission(ethernet)
                sent = Array(ethernet[14...])
            case .received(let ethernet, let dev):
                guard devices.contains(dev.name) else {
                    skip(i, "arrived on \(dev.name), which has no wire here (only Ethernet interfaces are built): not replayed")
                    continue
                }
                if let opened = live.isOpened(peer: ethernet), !opened, Self.establishedBefore(ethernet, host: host) {
                    skip(i, "a TCP conversation established before the capture began (the snapshot's ESTAB socket): the replay cannot make it")
                    continue
                }
                live.peerSent(ethernet)
                iface = dev
            }
            // The model first, told how long the kernel will be watched: a timer it arms that
            // fires later (a delayed ACK) is reported with the frame the kernel sends it in.
            let watch = window(after: i, frames: frames, classified: classified, hostClock: hostClock)
            if sent != nil {
                report = kernel.transmit(frame: bytes, linkType: linkType, iface: nil, time: time, options: SendOptions(pmtudisc: pmtudisc),
                                         horizon: time + watch)
            } else {
                report = kernel.receive(frame: bytes, linkType: linkType, iface: iface!, time: time, horizon: time + watch)
            }
            replies.remember(report, frame: frame.number)
            let bound = report.socket?.contains("(bound to ") == true
            if let sent, !timer {
                if try inNetns(topology.hostNS, { sender.prepare(sent, bindSource: bound) }) {
                    usleep(50_000)
                    _ = tracing!.read()
                    _ = nftrace?.take()
                }
            }
            let before = try inNetns(topology.hostNS) { Self.snmpText() }
            // The capture's clock: a host-side capture's gaps are kept; otherwise gaps of over a
            // second are (timers must fire). Waiting reads the trace every half second, so what
            // the timers do meanwhile is not overwritten by the rest of the machine's events.
            var waited: [TraceEvent] = []
            let now = uptime()
            if clock == nil { clock = (time, now) }
            let lag = (time - clock!.capture) - (now - clock!.wall)
            if lag > (hostClock ? 0 : 1) {
                let until = now + lag
                while uptime() < until {
                    usleep(UInt32(min(500_000, max(100, (until - uptime()) * 1_000_000))))
                    waited += tracing!.read(hostDevices: devices, ownAddresses: ownAddresses)
                }
            } else if lag < 0 {
                clock = (time, now)
            }
            var injected: [UInt8] = []
            var syscall: String? = nil
            if let sent, !timer {
                let (outcome, why) = try inNetns(topology.hostNS) { sender.send(sent, bindSource: bound) }
                if let why {
                    skip(i, why)
                    usleep(20_000)
                    for e in wires!.drain() { live.emitted(e.bytes) }
                    _ = tracing!.read(); _ = nftrace?.take()
                    continue
                }
                syscall = outcome
            } else if sent == nil, case .received(let ethernet, let dev) = classified[i] {
                injected = try wires!.send(live.rewrite(peer: ethernet), on: dev.name)
            }
            usleep(UInt32(watch * 1_000_000))
            let after = try inNetns(topology.hostNS) { Self.snmpText() }
            let emitted = wires!.drain(except: injected)
            for e in emitted { live.emitted(e.bytes) }
            let traced = tracing!.readText()
            // Each IP frame's own trace is waited for (every packet is traced at prerouting or
            // output): nft monitor hands its lines over later than the kernel's tracepoints, and
            // the next frame may come sooner (a burst, or a host-side capture's close frames).
            let inBurst = watch == Self.burstWindow && !hostClock
            let nft = classified[i].isIP ? nftrace?.take(packets: 1, timeout: 0.05) : nftrace?.take()
            let (iname, number, ws) = (sent == nil ? iface!.name : "tx", frame.number, waited)
            // Read now, compared after: inside a burst only the reads are made between frames,
            // so the kernel's clock keeps near the capture's (a few ms a frame).
            let compare = { [report] in
                var report = report
                let events = ws + Tracing.parse(traced, hostDevices: devices, ownAddresses: ownAddresses)
                let (a, b) = (Self.snmp(parsing: after), Self.snmp(parsing: before))
                var counters: [String: Int] = [:]
                for (name, value) in a {
                    let delta = value - (b[name] ?? 0)
                    if delta != 0 { counters[name] = delta }
                }
                var kernelSide = KernelRecord(frame: number, iface: iname,
                                              events: events.map { .init(event: $0.event, text: $0.text, reason: $0.reason, location: $0.location, stack: $0.stack) },
                                              counters: counters, emitted: emitted)
                kernelSide.nftrace = nft
                kernelSide.syscall = syscall
                record?(kernelSide.jsonLine)
                if let m = self.mutateReason {
                    if report.verdict.reason == m.from { report.verdict.reason = m.to }
                    report.ends = report.ends.map { var e = $0; if e.reason == m.from { e.reason = m.to }; return e }
                }
                let v = FrameVerdict(capture: capture, frame: number, summary: Self.summary(bytes, linkType), results: comparison.compare(report, kernelSide))
                out.append(v); progress(v)
            }
            pending.append(compare)
            if !inBurst { flush() }
        }
        flush()
        return out
    }

    /// The watch window of a frame inside a burst.
    static let burstWindow = 0.002

    /// The host's own ARP: the kernel's neighbour resolution, never an application's call.
    static func isARP(_ ethernet: [UInt8]) -> Bool { ethernet[12] == 0x08 && ethernet[13] == 0x06 }

    static func summary(_ bytes: [UInt8], _ linkType: LinkType) -> String {
        bytes.withUnsafeBytes { Dissection($0, linkType: linkType).summary }
    }

    /// How long the kernel is watched after frame `i`: 150 ms (2 ms inside a burst), or, on a host-side capture, until
    /// the capture's next frame — 10 ms more when that is one the host sent, so its answer (or
    /// the application's call) is in — but at least 2 ms. The same time bounds the model's
    /// report (its horizon): a timer due later fires with a later frame, on both sides.
    func window(after i: Int, frames: [Frame], classified: [Injection.Replayed], hostClock: Bool) -> Double {
        let full = 0.150
        guard hostClock else {
            // A burst (the next arrival under 0.5 ms later): injected back to back, 2 ms each, so
            // the kernel's clock runs near the capture's (rate limits, queues a reader drains).
            let next = frames.indices.dropFirst(i + 1).first { if case .unreplayable = classified[$0] { false } else { true } }
            if let next, frames[next].time - frames[i].time < 0.0005 { return Self.burstWindow }
            return full
        }
        for j in (i + 1)..<frames.count {
            let gap = frames[j].time - frames[i].time
            switch classified[j] {
            case .unreplayable: continue
            case .sent: return min(full, max(0.002, gap + 0.010))
            case .received: return min(full, max(0.002, gap))
            }
        }
        return full
    }

    /// A segment of a conversation the snapshot shows established (an ESTAB socket), not a SYN.
    static func establishedBefore(_ ethernet: [UInt8], host: Host) -> Bool {
        guard let s = Segment(ethernet), s.flags & 0x02 == 0 else { return false }
        return host.sockets.contains { k in
            guard k.protocolKind == .tcp, k.state == "ESTAB", k.localPort == s.destinationPort, k.remotePort == s.sourcePort else { return false }
            if case .v4(let a)? = k.remoteAddress { return a.value == s.source }
            return false
        }
    }

    /// Every counter in /proc/self/net/{snmp,netstat,snmp6} under its nstat name.
    static func snmp() -> [String: Int] { snmp(parsing: snmpText()) }

    /// /proc/self/net/snmp6, snmp and netstat as read (parsed later with `snmp(parsing:)`).
    static func snmpText() -> [String] {
        ["/proc/self/net/snmp6", "/proc/self/net/snmp", "/proc/self/net/netstat"].map {
            (try? String(contentsOfFile: $0, encoding: .utf8)) ?? ""
        }
    }

    static func snmp(parsing files: [String]) -> [String: Int] {
        var out: [String: Int] = [:]
        // snmp6: one `Ip6InReceives  12` per line (nstat's names as they are).
        for line in files[0].split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if f.count == 2, let v = Int(f[1]) { out[String(f[0])] = v }
        }
        for text in files.dropFirst() {
            let lines = text.split(separator: "\n")
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
}
