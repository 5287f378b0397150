// The model against the real 6.18 kernel: every case in Fixtures/rx was injected into network
// namespaces built from its host snapshot, and the kernel's answers were recorded beside it
// (NAME.kernel.jsonl — first by a Python prototype, now by `tracer verify --record`: skb ends with
// reason, location and stack; FIB lookups; SNMP counter deltas; every frame the host emitted).
// This test holds the model to them with the comparison `tracer verify` uses, without root.
import Foundation
import Testing
import TestSupport
import Wire
import Capture
@testable import Verify
@testable import Kernel
@testable import HostModel

typealias Host = HostModel.Host


let rxDirectory = "\(packageRoot)/Fixtures/rx"
let txDirectory = "\(packageRoot)/Fixtures/tx"
func cases(in dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        .filter { $0.hasSuffix(".pcap") && FileManager.default.fileExists(atPath: "\(dir)/\($0.dropLast(5)).kernel.jsonl") }
        .map { String($0.dropLast(5)) }.sorted()
}
let rxCases = cases(in: rxDirectory)
/// Transmit cases, named `tx/NAME`.
let txCases = cases(in: txDirectory).map { "tx/" + $0 }

/// A case's files: Fixtures/rx/NAME or Fixtures/tx/NAME.
func casePath(_ name: String) -> String {
    name.hasPrefix("tx/") ? "\(txDirectory)/\(name.dropFirst(3))" : "\(rxDirectory)/\(name)"
}

/// The snapshot a case was run against: the one its NAME.host names, else netns-h.
func hostFor(_ name: String) -> String {
    let named = try? String(contentsOfFile: casePath(name) + ".host", encoding: .utf8)
    return "\(packageRoot)/Fixtures/hosts/" + (named?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "netns-h")
}

@Suite struct KernelOracleTests {
    @Test func thereAreCases() {
        #expect(rxCases.count >= 56)
        #expect(txCases.count >= 11)
    }

    /// Every field `tracer verify` compares, against the kernel's recorded answers: frames the
    /// host's neighbours send are received; frames the host sends are its answers (predicted
    /// earlier) or an application's sends, which take the transmit path.
    @Test(arguments: rxCases + txCases)
    func agreesWithTheKernel(name: String) throws {
        let host = try Host.load(hostFor(name))
        let kernel = Kernel(host: host, profile: Profile(kernel: .v6_18, driver: .veth))
        var records: [Int: KernelRecord] = [:]
        for line in try String(contentsOfFile: casePath(name) + ".kernel.jsonl", encoding: .utf8).split(separator: "\n") {
            let r = try KernelRecord(jsonLine: String(line))
            records[r.frame] = r
        }
        let reader = try CaptureReader(path: casePath(name) + ".pcap")
        let comparison = Comparison()
        var replies = PredictedReplies()
        var compared = 0
        while let frame = try reader.next() {
            let bytes = Array(frame.bytes)
            let time = Double(frame.timestamp.seconds) + Double(frame.timestamp.nanoseconds) / 1e9
            let eth = bytes.withUnsafeBytes { b in EthernetFrame.parse(b).value.map { ($0.source, $0.destination) } }
            let r: FrameReport
            if let (src, _) = eth, host.interfaces.contains(where: { $0.mac == src }) {
                kernel.observeSent(frame: bytes, linkType: reader.linkType)
                if bytes.withUnsafeBytes({ replies.match($0, linkType: .ethernet) }) != nil { continue }
                r = kernel.transmit(frame: bytes, linkType: reader.linkType, iface: nil, time: time)
            } else {
                let iface = eth.flatMap { host.interface(mac: $0.1) } ?? host.firstNonLoopback!
                r = kernel.receive(frame: bytes, linkType: reader.linkType, iface: iface, time: time)
            }
            replies.remember(r, frame: frame.number)
            guard let record = records[frame.number] else { continue }   // not replayed (said why)
            let results = comparison.compare(r, record)
            #expect(results.count == Comparison.fields.count)
            for bad in results where !bad.agrees {
                Issue.record("\(name) frame \(frame.number) \(bad.field): \(bad.detail)")
            }
            compared += 1
        }
        #expect(compared == records.count)
    }

    /// A model that is wrong is caught: the same comparison, with one drop reason changed.
    @Test func aWrongDropReasonIsReported() throws {
        let host = try Host.load(hostFor("udp-closed-port"))
        let kernel = Kernel(host: host, profile: Profile())
        let record = try KernelRecord(jsonLine: String(try String(contentsOfFile: "\(casePath("udp-closed-port")).kernel.jsonl", encoding: .utf8).split(separator: "\n")[0]))
        let reader = try CaptureReader(path: "\(rxDirectory)/udp-closed-port.pcap")
        let frame = try #require(try reader.next())
        var r = kernel.receive(frame: Array(frame.bytes), linkType: .ethernet, iface: host.interface(named: "eth0")!)
        let agreeing = Comparison().compare(r, record).allSatisfy { $0.agrees }
        #expect(agreeing)
        r.verdict.reason = "IP_CSUM"
        r.ends[0].reason = "IP_CSUM"
        let bad = Comparison().compare(r, record).filter { !$0.agrees }.map(\.field)
        #expect(bad == ["reason", "ends"])
    }

    /// Fragments coalesced into a reassembled head leave no trace: fewer list frees may pass,
    /// more may not, and nothing else may differ.
    @Test func coalescedFragmentsAreTheOnlyLeeway() {
        let m = ["consume_skb - inet_frag_reasm_prepare", "kfree_skb NO_SOCKET __udp4_lib_rcv",
                 "kfree_skb NOT_SPECIFIED skb_release_data", "kfree_skb NOT_SPECIFIED skb_release_data"]
        #expect(Comparison.sameButCoalesced(m, Array(m.prefix(3))))
        #expect(!Comparison.sameButCoalesced(Array(m.prefix(3)), m))
        #expect(!Comparison.sameButCoalesced(m, Array(m.prefix(2))))
        #expect(!Comparison.sameButCoalesced(m, ["kfree_skb NO_SOCKET __udp4_lib_rcv", "kfree_skb NOT_SPECIFIED skb_release_data"]))
    }

    /// The chain decisions are held to nft monitor trace's: a model whose jump target's rule
    /// decided otherwise is caught, and only on that field.
    @Test func aWrongChainDecisionIsReported() throws {
        let host = try Host.load(hostFor("nft-jump-return"))
        let kernel = Kernel(host: host, profile: Profile())
        let record = try KernelRecord(jsonLine: String(try String(contentsOfFile: "\(rxDirectory)/nft-jump-return.kernel.jsonl", encoding: .utf8).split(separator: "\n")[0]))
        #expect(record.nftrace == ["ip raw pre: policy accept", "inet filter input: meta l4proto icmp jump icmp_in → jump icmp_in",
                                   "inet filter icmp_in: icmp type echo-request counter return → return", "inet filter input: policy accept"])
        let reader = try CaptureReader(path: "\(rxDirectory)/nft-jump-return.pcap")
        let frame = try #require(try reader.next())
        var r = kernel.receive(frame: Array(frame.bytes), linkType: .ethernet, iface: host.interface(named: "eth0")!)
        #expect(Comparison().compare(r, record).allSatisfy { $0.agrees })
        r.netfilter[1].chains[1].verdict = "accept"
        let bad = Comparison().compare(r, record).filter { !$0.agrees }.map(\.field)
        #expect(bad == ["netfilter"])
    }
}

/// A real capture as its own oracle: Fixtures/captures/netns-sll2.pcap was taken in the namespace
/// Fixtures/hosts/netns-h was snapshotted from, so every frame the model says the host sends in
/// answer to a received frame must be the next frame the capture shows the host sending (IP
/// packets compared; IP ID, checksums and TCP timestamp values aside; sequence numbers compared
/// once the model has seen the kernel's ISN in the capture's own SYN-ACK).
@Suite struct RealCaptureTests {
    @Test func emittedFramesAreWhatTheKernelSent() throws {
        let host = try Host.load("\(packageRoot)/Fixtures/hosts/netns-h")
        let kernel = Kernel(host: host, profile: Profile(kernel: .v6_18, driver: .veth))
        let reader = try CaptureReader(path: "\(packageRoot)/Fixtures/captures/netns-sll2.pcap")
        var predicted: [(from: Int, packet: [UInt8])] = []
        var compared = 0
        while let frame = try reader.next() {
            let bytes = Array(frame.bytes)
            let link = try #require(bytes.withUnsafeBytes { LinkFrame.decode($0, as: reader.linkType).value.map { ($0.packetType, $0.networkOffset) } })
            if link.0 == .outgoing {
                kernel.observeSent(frame: bytes, linkType: reader.linkType)
                let sent = Array(bytes[link.1...])
                guard !predicted.isEmpty else { Issue.record("frame \(frame.number): the host sent a frame the model did not predict"); continue }
                let p = predicted.removeFirst()
                let isSynAck = sent.count > 33 && sent[9] == 6 && sent[20 + 13] & 0x12 == 0x12
                #expect(comparable(p.packet, zeroSeq: isSynAck) == comparable(sent, zeroSeq: isSynAck),
                        "frame \(frame.number) (answer to frame \(p.from))\n model:  \(hexString(p.packet))\n kernel: \(hexString(sent))")
                compared += 1
            } else {
                let r = kernel.receive(frame: bytes, linkType: reader.linkType, iface: host.interface(named: "eth0")!)
                predicted += r.emitted.map { (frame.number, Array($0.bytes[14...])) }
            }
        }
        #expect(predicted.isEmpty, "predicted but never sent: \(predicted.map(\.from))")
        #expect(compared == 5)
    }

    /// IPv4 packet with ID, header checksum, TCP checksum and TCP timestamp value zeroed (and the
    /// SYN-ACK's ISN, which nothing before it tells).
    func comparable(_ p: [UInt8], zeroSeq: Bool) -> [UInt8] {
        var f = p
        guard f.count >= 20 else { return f }
        f[4] = 0; f[5] = 0; f[10] = 0; f[11] = 0
        let t = Int(f[0] & 0x0f) * 4
        if f[9] == 6, f.count >= t + 20 {
            f[t + 16] = 0; f[t + 17] = 0
            if zeroSeq { for i in 4..<8 { f[t + i] = 0 } }
            var o = t + 20
            while o + 1 < t + Int(f[t + 12] >> 4) * 4 {
                if f[o] == 1 { o += 1; continue }
                if f[o] == 0 { break }
                if f[o] == 8 { for i in 2..<6 { f[o + i] = 0 } }
                o += max(2, Int(f[o + 1]))
            }
        }
        return f
    }
}

/// The delayed-ACK timer against the real client capture: curl's side of an HTTP exchange. The
/// server's FIN (frame 20) puts the connection in CLOSE_WAIT and pingpong mode, so its ACK is
/// left to the timer (40 ms); curl's own FIN 0.1 ms later (frame 21) carries it — the kernel
/// sends no ACK of its own (tracer verify on the live kernel agrees). Told only what it has seen
/// (a horizon), the model arms the timer and the FIN disarms it; told nothing, it reports the
/// ACK the timer would send.
@Suite struct DelayedACKTimerTests {
    func run(horizon: (Double) -> Double?) throws -> [Int: FrameReport] {
        let host = try Host.load("\(packageRoot)/Fixtures/hosts/wild-client")
        let kernel = Kernel(host: host, profile: Profile(kernel: .v6_18, driver: .veth))
        let reader = try CaptureReader(path: "\(packageRoot)/Fixtures/captures/wild-client.pcap")
        let mac = host.interface(named: "eth0")!.mac!
        var reports: [Int: FrameReport] = [:]
        while let frame = try reader.next(), frame.number <= 22 {
            let bytes = Array(frame.bytes)
            let time = Double(frame.timestamp.seconds) + Double(frame.timestamp.nanoseconds) / 1e9
            if bytes.withUnsafeBytes({ MACAddress($0, at: 6) }) == mac {
                kernel.observeSent(frame: bytes, linkType: reader.linkType)
                reports[frame.number] = kernel.transmit(frame: bytes, linkType: reader.linkType, iface: nil, time: time, horizon: horizon(time))
            } else {
                reports[frame.number] = kernel.receive(frame: bytes, linkType: reader.linkType, iface: host.interface(named: "eth0")!,
                                                       time: time, horizon: horizon(time))
            }
        }
        return reports
    }

    @Test func theApplicationsFINCarriesTheACKTheTimerOwed() throws {
        let r = try run(horizon: { $0 + 0.002 })
        let fin = try #require(r[20])
        #expect(fin.emitted.isEmpty)
        #expect(fin.verdict.detail.contains("ACK left to the delayed-ACK timer (40 ms, pingpong mode)"), "\(fin.verdict.detail)")
        #expect(fin.counters.deltas["TcpExtDelayedACKs"] == nil)
        let close = try #require(r[21])
        #expect(close.counters.deltas["TcpExtDelayedACKs"] == nil && close.timers.isEmpty)
    }

    @Test func withoutAHorizonTheTimersACKIsReported() throws {
        let fin = try #require(try run(horizon: { _ in nil })[20])
        #expect(fin.emitted.map(\.why) == ["ACK (delayed-ACK timer)"])
        #expect(fin.counters.deltas["TcpExtDelayedACKs"] == 1)
        #expect(fin.path.map(\.function).contains("tcp_delack_timer_handler"))
    }
}
