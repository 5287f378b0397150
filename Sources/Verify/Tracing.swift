// A private tracefs instance with skb:kfree_skb (and a stacktrace trigger on it),
// skb:consume_skb and fib:fib_table_lookup. Removing the instance switches them all off; the
// machine's global tracing is never touched.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct TraceEvent: Equatable {
    var event: String          // kfree_skb, consume_skb, fib_table_lookup
    var text: String
    var reason: String?
    var location: String?
    var stack: [String] = []
}

final class Tracing {
    static let root = "/sys/kernel/tracing"
    static let events = ["skb/kfree_skb", "skb/consume_skb", "fib/fib_table_lookup", "fib6/fib6_table_lookup", "net/net_dev_xmit"]
    let instance: String
    /// The instance's trace_pipe, non-blocking: reading consumes what it returns, so nothing has
    /// to be cleared (clearing `trace` resets the per-CPU ring buffers: ~30 ms, longer than a
    /// delayed ACK's wait is worth losing between two frames of a replay).
    private var pipe: Int32 = -1

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
        pipe = open("\(instance)/trace_pipe", O_RDONLY | O_NONBLOCK)
        guard pipe >= 0 else { throw VerifyError("cannot open \(instance)/trace_pipe: errno \(errno)") }
    }

    /// Everything waiting in trace_pipe.
    private func drainPipe() -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(pipe, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    func write(_ s: String, to file: String) throws {
        try Data(s.utf8).write(to: URL(fileURLWithPath: "\(instance)/\(file)"))
    }

    /// Everything traced since the last call, noise removed. Each line
    /// carries its CPU (`[001]`); with two CPUs the per-CPU buffers interleave, so a
    /// `<stack trace>` block is given to the last kfree_skb traced on the same CPU.
    /// `hostDevices`: the host namespace's interface names. A frame the host transmits on a veth
    /// is the same skb the wire side then drops (its netdev ingress chain): skbs seen in
    /// net:net_dev_xmit on a host device are left out of the wire side's NETFILTER_DROPs.
    /// `ownAddresses`: the host's addresses — a local-table lookup of one that finds nothing
    /// (`table 255 … -> ADDR … err -11`) cannot be the host namespace's, whose local table holds
    /// them all: another namespace's (seen: 127.0.0.1 and the host's own address, now and then).
    func read(hostDevices: Set<String> = [], ownAddresses: Set<String> = []) -> [TraceEvent] {
        Self.parse(readText(), hostDevices: hostDevices, ownAddresses: ownAddresses)
    }

    /// What was traced since the last call, as the pipe gave it (parsed later with `parse`:
    /// a burst's frames are read as they come and parsed after).
    func readText() -> String {
        // A kfree_skb's stack (the trigger's) is an entry of its own, written just after it: a
        // read between the two finds the event without it, so the pipe is read again until
        // every kfree_skb has its stack (briefly: a few ms at most).
        var text = drainPipe()
        // (A `while`: `for … where` would test all 20 times, stack or not.)
        var tries = 0
        while tries < 20 && Self.stacklessKfree(in: text) {
            usleep(1_000)
            text += drainPipe()
            tries += 1
        }
        return text
    }

    /// The events of `text` (see `read`).
    static func parse(_ text: String, hostDevices: Set<String>, ownAddresses: Set<String>) -> [TraceEvent] {
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
            let cpu = cpu(of: t)
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
            for name in ["kfree_skb", "consume_skb", "fib_table_lookup", "fib6_table_lookup"] {
                guard let r = t.range(of: "\(name): ") else { continue }
                let body = String(t[r.upperBound...])
                // IPv6's lookups are compared as IPv4's are (their records read the same way).
                var e = TraceEvent(event: name == "fib6_table_lookup" ? "fib_table_lookup" : name, text: body)
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
            // …nor in a queue purged as its socket goes (skb_queue_purge's QUEUE_PURGE: a netlink
            // socket of the `ip`/`nft` commands, destroyed from RCU — its stack is not always
            // recorded; seen once reading stopped losing what came while the buffer was cleared).
            if e.event == "fib_table_lookup", e.text.hasPrefix("table 255 "), e.text.hasSuffix("err -11"),
               let arrow = e.text.range(of: " -> "),
               ownAddresses.contains(String(e.text[arrow.upperBound...].prefix { $0 != "/" })) { return false }
            if isNoise(e.location) || e.stack.contains("nft_do_chain_netdev") || e.stack.contains("__sk_destruct")
                || e.reason == "QUEUE_PURGE" && e.location == "skb_queue_purge_reason" { return false }
            if e.reason == "NETFILTER_DROP", let a = e.text.split(separator: " ").first(where: { $0.hasPrefix("skbaddr=") }),
               transmitted.contains(String(a.dropFirst(8))) { return false }
            return true
        }
    }

    /// Whether some kfree_skb in `text` is not yet followed, on its CPU, by a stack trace.
    static func stacklessKfree(in text: String) -> Bool {
        // Scanned as bytes: this runs on every read, and String's searches cost milliseconds
        // a frame in a debug build.
        var waiting: Set<Int> = []
        let kfree = Array("kfree_skb: ".utf8), stack = Array("<stack trace>".utf8)
        func has(_ line: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
            guard line.count >= needle.count else { return false }
            var i = line.startIndex
            while i <= line.endIndex - needle.count {
                if line[i] == needle[0] && line[i..<(i + needle.count)].elementsEqual(needle) { return true }
                i += 1
            }
            return false
        }
        let bytes = Array(text.utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let first = line.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }),
                  line[first] != UInt8(ascii: "="),
                  let open = line.firstIndex(of: UInt8(ascii: "[")),
                  let close = line[open...].firstIndex(of: UInt8(ascii: "]")),
                  let c = Int(String(decoding: line[(open + 1)..<close], as: UTF8.self)) else { continue }
            if has(line, stack) { waiting.remove(c) } else if has(line, kfree) { waiting.insert(c) }
        }
        return !waiting.isEmpty
    }

    /// The CPU number of a trace line (`task-pid [001] flags timestamp: …`).
    static func cpu(of line: String) -> Int? {
        guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]") else { return nil }
        return Int(line[line.index(after: open)..<close])
    }

    func close() {
        if pipe >= 0 { Glibc.close(pipe); pipe = -1 }
        Self.remove(instance: instance)
    }

    static func remove(instance: String) {
        try? Data("!stacktrace".utf8).write(to: URL(fileURLWithPath: "\(instance)/events/skb/kfree_skb/trigger"))
        for e in events { try? Data("0".utf8).write(to: URL(fileURLWithPath: "\(instance)/events/\(e)/enable")) }
        rmdir(instance)
    }
}
