// The kernel's own account of the rules a packet met: `nft monitor trace` in the host namespace,
// with every packet marked for tracing by a table of the verifier's own (`trv_trace`, priority
// -500 on prerouting and output, `meta nftrace set 1`) — the way ../shared/KERNEL-ORACLE.md
// describes. Its lines are read as they come and reduced to one line per chain decision,
// "inet filter input: tcp dport 23 counter drop → drop", the form the model's ChainPass takes.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class NFTrace: @unchecked Sendable {   // lines and partial are behind the lock
    static let table = "trv_trace"
    /// Loaded after the snapshot's ruleset: traces every packet the host receives or sends.
    static let ruleset = """
    table inet \(table) {
        chain pre { type filter hook prerouting priority -500; policy accept; meta nftrace set 1; }
        chain out { type filter hook output priority -500; policy accept; meta nftrace set 1; }
    }

    """

    private let process = Process()
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = ""

    init(netns: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip", "netns", "exec", netns, "nft", "monitor", "trace"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock(); defer { self.lock.unlock() }
            self.partial += String(decoding: data, as: UTF8.self)
            var parts = self.partial.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            self.partial = parts.removeLast()
            self.lines += parts
        }
        try process.run()
    }

    /// The chain decisions seen since the last call, packet by packet (in the order each packet
    /// was first traced), each packet's in the order the kernel reported them. A rule's line
    /// comes when its verdict does, so a reject's answer is traced before the rule that sent it.
    /// `packets`: wait (at most `timeout` seconds) until that many packets have been traced —
    /// `nft monitor` hands its lines over a millisecond or more after the kernel traced them, and
    /// a burst's next frame comes sooner — then a millisecond more for the rest of their lines.
    func take(packets: Int, timeout: Double) -> [String] {
        let deadline = ProcessInfo.processInfo.systemUptime + timeout
        var seenLines = -1
        while ProcessInfo.processInfo.systemUptime < deadline {
            lock.lock()
            let count = lines.count
            let seen = Set(lines.compactMap { l -> Substring? in
                let w = l.split(separator: " ", maxSplits: 3)
                return w.count == 4 && w[0] == "trace" && w[1] == "id" ? w[2] : nil
            }).count
            lock.unlock()
            // Enough packets, and no line came in the last millisecond: the rest of their
            // lines (a packet's later chains) are in too.
            if seen >= packets && count == seenLines { break }
            seenLines = seen >= packets ? count : -1
            usleep(1_000)
        }
        return take()
    }

    func take() -> [String] {
        lock.lock(); defer { lock.unlock() }
        var order: [Substring] = []
        var byPacket: [Substring: [String]] = [:]
        for line in lines {
            let w = line.split(separator: " ", maxSplits: 3)
            guard w.count == 4, w[0] == "trace", w[1] == "id" else { continue }
            if byPacket[w[2]] == nil { order.append(w[2]); byPacket[w[2]] = [] }
            if let d = Self.decision(line) { byPacket[w[2]]!.append(d) }
        }
        lines = []
        return order.flatMap { byPacket[$0]! }
    }

    func close() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// `trace id 8f5a0f9c inet filter input rule tcp dport 23 counter packets 0 bytes 0 drop (verdict drop)`
    /// → `inet filter input: tcp dport 23 counter drop → drop`; nil for packet lines and the
    /// verifier's own table.
    static func decision(_ line: String) -> String? {
        var w = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard w.count >= 7, w[0] == "trace", w[1] == "id" else { return nil }
        w.removeFirst(3)
        let (family, table, chain) = (w[0], w[1], w[2])
        guard table != Self.table else { return nil }
        let rest = Array(w[3...])
        let head = "\(family) \(table) \(chain): "
        switch rest.first {
        case "rule":
            guard let v = rest.lastIndex(of: "(verdict") else { return nil }
            var text = Array(rest[1..<v])
            // Counter values change from packet to packet; the rule is the rule.
            while let c = text.firstIndex(of: "packets"), c + 3 < text.count, text[c + 2] == "bytes" {
                text.removeSubrange(c...(c + 3))
            }
            let verdict = rest[(v + 1)...].joined(separator: " ").replacingOccurrences(of: ")", with: "")
            return head + text.joined(separator: " ") + " → " + verdict
        case "policy":
            return head + "policy " + (rest.count > 1 ? rest[1] : "?")
        case "verdict":
            return head + (rest.count > 1 ? rest[1] : "?")
        default:
            return nil   // packet: …, unbound verdicts of other kinds
        }
    }
}
