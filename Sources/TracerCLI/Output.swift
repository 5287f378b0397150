// Buffered standard output: one write per 64 KiB, not per line.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class Output {
    private var buffer: [UInt8] = []
    private let fd: Int32
    private let limit = 1 << 16

    public init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(limit + 4096)
    }

    public func write(_ s: String) {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= limit { flush() }
    }

    public func line(_ s: String) { write(s); buffer.append(10); if buffer.count >= limit { flush() } }

    /// Bytes already in UTF-8, newlines and all. A block as large as the buffer (a rendered
    /// batch) goes out in its own write after what is buffered, not copied into the buffer.
    public func write(bytes: [UInt8]) {
        if bytes.count >= limit {
            flush()
            bytes.withUnsafeBytes { writeAll($0) }
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= limit { flush() }
    }

    /// A line already in UTF-8.
    public func line(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        buffer.append(10)
        if buffer.count >= limit { flush() }
    }

    public func flush() {
        buffer.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n <= 0 { break }  // a closed pipe (`| head`): drop the rest quietly
            off += n
        }
    }

    deinit { flush() }
}

/// Colour only on a terminal, and never with NO_COLOR set (https://no-color.org).
public struct Palette: Sendable {
    public let enabled: Bool
    public init(fd: Int32) {
        enabled = isatty(fd) == 1 && getenv("NO_COLOR") == nil
    }
    public func paint(_ s: String, _ code: String) -> String { enabled ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s }
    public func dim(_ s: String) -> String { paint(s, "2") }
    public func bold(_ s: String) -> String { paint(s, "1") }
    public func red(_ s: String) -> String { paint(s, "31") }
    public func green(_ s: String) -> String { paint(s, "32") }
}

/// Writes one line to standard error: `tracer: message`.
public func reportError(_ message: String) {
    var line = "tracer: " + message + "\n"
    line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}
