// Reads a capture frame by frame and prints each decoded frame: the loop every subcommand that
// takes a capture shares. Streaming: one frame in memory at a time.
import ArgumentParser
import Capture
import HostModel
import Wire
#if canImport(Glibc)
import Glibc
#endif

enum Direction: String { case rx, tx }

struct FrameListing {
    let options: CaptureOptions
    let direction: Direction

    func run() throws {
        let host: Host
        do { host = try Host.load(options.host) } catch { throw fail("host snapshot \(error)") }
        if let name = options.iface, host.interface(named: name) == nil {
            throw fail("--iface \(name): no such interface on host \(host.origin)")
        }
        let reader: CaptureReader
        do { reader = try CaptureReader(path: options.capture) } catch { throw fail(error.description) }
        var filter: PacketFilter? = nil
        if let expression = options.filterExpression {
            do { filter = try PacketFilter(expression: expression, linkType: reader.linkType, snapLength: reader.snapLength) }
            catch { throw fail(error.description) }
        }
        let out = Output()
        defer { out.flush() }
        let resolver = ArrivalInterface(host: host, fallback: options.iface)
        let progress = Progress()
        var shown = 0
        while true {
            let frame: CapturedFrame?
            do { frame = try reader.next() } catch {
                out.flush()
                progress.finish()
                throw fail(error.description)
            }
            guard let frame else { break }
            progress.tick(frame.number)
            if let filter, !filter.matches(frame) { continue }
            let d = Dissection(frame.bytes, linkType: reader.linkType, wireLength: frame.wireLength)
            let iface = resolver.interface(for: d.link)
            let dir: Direction = d.link?.packetType == .outgoing ? .tx : direction
            var summary = d.summary
            if frame.isSnapped { summary += " [snapped: \(frame.bytes.count) of \(frame.wireLength) bytes]" }
            switch options.format {
            case .text:
                out.line("\(frame.number) \(frame.timestamp) \(iface) \(dir.rawValue) \(summary)")
            case .json:
                var o = JSONObject()
                o.add("frame", frame.number)
                o.add("time", frame.timestamp.description)
                o.add("iface", iface)
                o.add("dir", dir.rawValue)
                o.add("len", frame.wireLength)
                o.add("summary", summary)
                out.line(o.closed())
            }
            shown += 1
            if let c = options.count, shown >= c { break }
        }
        progress.finish()
    }
}

/// Which interface a frame arrived on: the one the capture names (SLL2 ifindex), else the one
/// whose MAC is the frame's destination, else --iface, else the host's first non-loopback one.
struct ArrivalInterface {
    let host: Host
    let fallback: String?
    let defaultName: String

    init(host: Host, fallback: String?) {
        self.host = host
        self.fallback = fallback
        defaultName = fallback ?? host.firstNonLoopback?.name ?? "lo"
    }

    func interface(for link: LinkFrame?) -> String {
        if let idx = link?.interfaceIndex, let i = host.interface(index: Int(idx)) { return i.name }
        if let dst = link?.ethernet?.destination, let i = host.interface(mac: dst) { return i.name }
        return defaultName
    }
}

/// Progress on standard error for long runs, only when it is a terminal.
final class Progress {
    private let enabled = isatty(2) == 1
    private var last = 0.0
    private var shown = false

    func tick(_ n: Int) {
        guard enabled, n & 0xffff == 0 else { return }
        let now = Self.seconds()
        if now - last >= 1 {
            last = now
            shown = true
            reportProgress("\r\(n) frames…")
        }
    }

    func finish() { if shown { reportProgress("\r\u{1b}[K") } }

    private func reportProgress(_ s: String) {
        var s = s
        s.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
