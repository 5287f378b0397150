// A private tracefs instance with skb:kfree_skb (and a stacktrace trigger on it),
// skb:consume_skb and fib:fib_table_lookup. Removing the instance switches them all off; the
// machine's global tracing is never touched.
import Foundation

struct TraceEvent: Equatable {
    var event: String          // kfree_skb, consume_skb, fib_table_lookup
    var text: String
    var reason: String?
    var location: String?
    var stack: [String] = []
}

final class Tracing {
    static let root = "/sys/kernel/tracing"
    static let events = ["skb/kfree_skb", "skb/consume_skb", "fib/fib_table_lookup", "net/net_dev_xmit"]
    let instance: String

    /// Ends not made by the frame under test: tracing is machine-wide, and a frame injected on a
    /// wire never ends in netlink (the `ip` commands of whatever else runs), unix or packet
    /// sockets (ours among them), vsock, or a deferred free of an skb consumed earlier.
    static let noisePrefixes = ["netlink_", "unix_", "packet_", "virtio_", "skb_defer_free_flush", "skb_free_datagram", "__sk_destruct"]
    static func isNoise(_ location: String?) -> Bool {
        guard let l = location else { return false }
        return noisePrefixes.contains { l.hasPrefix($0) }
    }

    static var available: Bool {
        if FileManager.default.fileExists(atPath: "\(root)/events/skb") { return true }
        _ = try? Shell.run(["mount", "-t", "tracefs", "nodev", root], check: false)
        return FileManager.default.fileExists(atPath: "\(root)/events/skb")
    }

    init(name: String) throws {
        instance = "\(Self.root)/instances/\(name)"
        try FileManager.default.createDirectory(atPath: instance, withIntermediateDirectories: false)
        // Room for a few seconds of the whole machine's skb events (the buffer is per CPU and
        // overwrites its oldest entries).
        try? write("4096", to: "buffer_size_kb")
        for e in Self.events { try write("1", to: "events/\(e)/enable") }
        try write("stacktrace", to: "events/skb/kfree_skb/trigger")
    }

    func write(_ s: String, to file: String) throws {
        try Data(s.utf8).write(to: URL(fileURLWithPath: "\(instance)/\(file)"))
    }

    /// Everything traced since the last call, noise removed; the buffer is cleared. Each line
    /// carries its CPU (`[001]`); with two CPUs the per-CPU buffers interleave, so a
    /// `<stack trace>` block is given to the last kfree_skb traced on the same CPU.
    /// `hostDevices`: the host namespace's interface names. A frame the host transmits on a veth
    /// is the same skb the wire side then drops (its netdev ingress chain): skbs seen in
    /// net:net_dev_xmit on a host device are left out of the wire side's NETFILTER_DROPs.
    func read(hostDevices: Set<String> = []) -> [TraceEvent] {
        let text = (try? String(contentsOfFile: "\(instance)/trace", encoding: .utf8)) ?? ""
        try? write("", to: "trace")
        var out: [TraceEvent] = []
        var lastKfreeOnCPU: [Int: Int] = [:]
        var stackTarget: Int? = nil
        var transmitted: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") { continue }
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("=>") {
                if let i = stackTarget {
                    let fn = String(t.dropFirst(3).split(separator: "+").first ?? "").split(separator: ".").first.map(String.init) ?? ""
                    if fn != "trace_event_raw_event_kfree_skb" { out[i].stack.append(fn) }
                }
                continue
            }
            let cpu = Self.cpu(of: t)
            if t.contains("<stack trace>") {
                stackTarget = cpu.flatMap { lastKfreeOnCPU[$0] }
                if let i = stackTarget, !out[i].stack.isEmpty { stackTarget = nil }
                continue
            }
            stackTarget = nil
            if let r = t.range(of: "net_dev_xmit: ") {
                let fields = t[r.upperBound...].split(separator: " ")
                let dev = fields.first { $0.hasPrefix("dev=") }.map { String($0.dropFirst(4)) } ?? ""
                if hostDevices.contains(dev), let a = fields.first(where: { $0.hasPrefix("skbaddr=") }) { transmitted.insert(String(a.dropFirst(8))) }
                continue
            }
            for name in ["kfree_skb", "consume_skb", "fib_table_lookup"] {
                guard let r = t.range(of: "\(name): ") else { continue }
                let body = String(t[r.upperBound...])
                var e = TraceEvent(event: name, text: body)
                if let l = body.range(of: "location=") {
                    e.location = String(body[l.upperBound...].split(separator: " ").first?.split(separator: "+").first ?? "")
                }
                if let rr = body.range(of: "reason: ") { e.reason = String(body[rr.upperBound...]).trimmingCharacters(in: .whitespaces) }
                out.append(e)
                if name == "kfree_skb", let c = cpu { lastKfreeOnCPU[c] = out.count - 1 }
                break
            }
        }
        return out.filter { e in
            if Self.isNoise(e.location) || e.stack.contains("nft_do_chain_netdev") { return false }
            if e.reason == "NETFILTER_DROP", let a = e.text.split(separator: " ").first(where: { $0.hasPrefix("skbaddr=") }),
               transmitted.contains(String(a.dropFirst(8))) { return false }
            return true
        }
    }

    /// The CPU number of a trace line (`task-pid [001] flags timestamp: …`).
    static func cpu(of line: String) -> Int? {
        guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]") else { return nil }
        return Int(line[line.index(after: open)..<close])
    }

    func close() { Self.remove(instance: instance) }

    static func remove(instance: String) {
        try? Data("!stacktrace".utf8).write(to: URL(fileURLWithPath: "\(instance)/events/skb/kfree_skb/trigger"))
        for e in events { try? Data("0".utf8).write(to: URL(fileURLWithPath: "\(instance)/events/\(e)/enable")) }
        rmdir(instance)
    }
}
