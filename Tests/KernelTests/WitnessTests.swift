// The witness on hand-made frames: what it pairs, what it flags and what it only notes.
import Testing
@testable import Kernel
import Wire

@Suite struct WitnessEngineTests {
    let host = IPv4Address(10, 0, 0, 2), peer = IPv4Address(10, 0, 0, 1)
    let hostMAC = MACAddress(2, 0, 0, 0, 0, 2), peerMAC = MACAddress(2, 0, 0, 0, 0, 1)

    func eth(_ ip: [UInt8], from: MACAddress, to: MACAddress) -> [UInt8] {
        EthernetHeader(destination: to, source: from, etherType: .ipv4).emit(payload: ip)
    }
    /// A UDP datagram from the peer to the host's `port`.
    func udpIn(_ port: UInt16, ident: UInt16 = 1) -> [UInt8] {
        let ip = IPv4Header(source: peer, destination: host, protocol: .udp, ident: ident)
        return eth(ip.emit(payload: UDPHeader(sourcePort: 40000, destinationPort: port).emit(payload: [1, 2, 3], pseudoHeader: ip.pseudoHeaderSum)),
                   from: peerMAC, to: hostMAC)
    }
    /// The host's port unreachable about `datagram`.
    func unreachable(about datagram: [UInt8]) -> [UInt8] {
        let ip = IPv4Header(source: host, destination: peer, protocol: .icmp, ident: 0)
        return eth(ip.emit(payload: ICMPv4Header.unreachable(code: 3).emit(body: Array(datagram[14...]))), from: hostMAC, to: peerMAC)
    }
    func tcp(_ flags: TCPFlags, from: IPv4Address, to: IPv4Address, sport: UInt16, dport: UInt16, payload: [UInt8] = []) -> [UInt8] {
        let ip = IPv4Header(source: from, destination: to, protocol: .tcp, ident: 7)
        let t = TCPHeader(sourcePort: sport, destinationPort: dport, sequenceNumber: 1, ackNumber: 1, flags: flags, window: 100)
        return eth(ip.emit(payload: t.emit(payload: payload, pseudoHeader: ip.pseudoHeaderSum)),
                   from: from == host ? hostMAC : peerMAC, to: from == host ? peerMAC : hostMAC)
    }
    func report(_ verdict: VerdictAction, emitting: [(bytes: [UInt8], why: String)] = []) -> FrameReport {
        FrameReport(verdict: Verdict(action: verdict, reason: nil, function: "", detail: ""),
                    emitted: emitting.map { EmittedFrame(iface: "eth0", bytes: $0.bytes, why: $0.why) }, iface: "eth0")
    }

    /// Runs frames through a witness (rx unless the host sent it); findings by frame number.
    func run(_ frames: [(time: Double, bytes: [UInt8], out: Bool, report: FrameReport)]) -> [Int: [WitnessFinding]] {
        var w = Witness()
        var found: [Int: [WitnessFinding]] = [:]
        for (n, f) in frames.enumerated() {
            var matched = false
            if f.out { matched = f.bytes.withUnsafeBytes { w.predicted($0, linkType: .ethernet, iface: "eth0") } != nil }
            f.bytes.withUnsafeBytes {
                w.add(number: n + 1, time: f.time, outgoing: f.out, iface: "eth0", frame: $0, linkType: .ethernet,
                      report: f.report, matched: matched)
            }
            w.release { found[$0] = $1 }
        }
        w.finish { found[$0] = $1 }
        return found
    }

    @Test func aPredictedAnswerTheCaptureShowsIsNoFinding() {
        let d = udpIn(9)
        let f = run([(0, d, false, report(.drop, emitting: [(unreachable(about: d), "ICMP port unreachable")])),
                     (0.0001, unreachable(about: d), true, report(.send)),
                     (2, udpIn(9, ident: 2), false, report(.deliver))])
        #expect(f[1] == [] && f[2] == [])
    }

    @Test func aMissingAnswerIsAContradictionOnceTheCaptureGoesOn() {
        let d = udpIn(9)
        // The host is seen sending on eth0 (frame 2), so eth0 witnesses its answers.
        let f = run([(0, d, false, report(.drop, emitting: [(unreachable(about: d), "ICMP port unreachable")])),
                     (0.1, tcp(.ack, from: host, to: peer, sport: 22, dport: 5000), true, report(.send)),
                     (1, udpIn(10, ident: 2), false, report(.deliver))])
        #expect(f[1]?.map(\.kind) == [.contradiction])
        #expect(f[1]?.first?.capture.contains("ICMP port unreachable") == true)
    }

    @Test func theCaptureEndingFirstLeavesItUnconfirmed() {
        let d = udpIn(9)
        let f = run([(0, tcp(.ack, from: host, to: peer, sport: 22, dport: 5000), true, report(.send)),
                     (0.1, d, false, report(.drop, emitting: [(unreachable(about: d), "ICMP port unreachable")]))])
        #expect(f[2]?.map(\.kind) == [.unconfirmed])
    }

    @Test func aFailedSendTheCaptureShowsIsAContradiction() {
        let f = run([(0, tcp(.syn, from: host, to: peer, sport: 5000, dport: 80), true,
                      FrameReport(verdict: Verdict(action: .fail, reason: nil, function: "tcp_v4_connect", detail: "no route", errno: "ENETUNREACH"), iface: "eth0"))])
        #expect(f[1]?.first?.model.contains("ENETUNREACH") == true)
    }

    /// The capture shows a send leave by eth0; a model that routes it by eth1 is not the host.
    @Test func aSendByAnotherInterfaceIsAContradiction() {
        var w = Witness()
        var r = report(.send)
        r.route = InputRoute(input: .output, type: .unicast, table: .main, prefix: nil, device: "eth1", gateway: nil, source: nil, rulePriority: nil, mtu: 1500)
        var found: [WitnessFinding] = []
        tcp(.syn, from: host, to: peer, sport: 5000, dport: 80).withUnsafeBytes {
            w.add(number: 1, time: 0, outgoing: true, iface: "eth1", frame: $0, linkType: .ethernet, report: r, matched: false, leftBy: "eth0")
        }
        w.finish { _, f in found = f }
        #expect(found.map(\.kind) == [.contradiction] && found.first?.model.contains("by eth1") == true)
    }

    @Test func aDelayedACKRidesOnTheHostsNextSegment() {
        let ack = tcp(.ack, from: host, to: peer, sport: 22, dport: 5000)
        let f = run([(0, tcp([.psh, .ack], from: peer, to: host, sport: 5000, dport: 22, payload: [1]), false,
                      report(.deliver, emitting: [(ack, "ACK of the FIN (delayed-ACK timer)")])),
                     (0.01, tcp([.fin, .ack], from: host, to: peer, sport: 22, dport: 5000), true, report(.send)),
                     (3, udpIn(10), false, report(.deliver))])
        #expect(f[1] == [])
    }

    @Test func icmpErrorsBeyondTheRateLimitAreOnlyUnconfirmed() {
        // Ten datagrams to a closed port in 10 ms: the kernel answers six (the per-peer burst).
        var frames: [(time: Double, bytes: [UInt8], out: Bool, report: FrameReport)] = []
        for i in 0..<10 {
            let d = udpIn(9, ident: UInt16(i))
            frames.append((Double(i) * 0.001, d, false, report(.drop, emitting: [(unreachable(about: d), "ICMP port unreachable")])))
            if i < 6 { frames.append((Double(i) * 0.001 + 0.0001, unreachable(about: d), true, report(.send))) }
        }
        frames.append((3, udpIn(10, ident: 99), false, report(.deliver)))
        let f = run(frames)
        let kinds = f.values.flatMap { $0.map(\.kind) }
        #expect(!kinds.contains(.contradiction))
        #expect(kinds.filter { $0 == .unconfirmed }.count == 4)
    }
}
