// Reading captures through libpcap: pcap and pcapng, one frame at a time, nothing loaded whole.
import CPcap
import Wire

/// A capture's timestamp, in nanoseconds whatever the file's own precision (libpcap scales
/// microsecond files up when the handle asks for nanoseconds).
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int64
    public init(seconds: Int64, nanoseconds: Int64) { self.seconds = seconds; self.nanoseconds = nanoseconds }
    public static func < (l: Timestamp, r: Timestamp) -> Bool { (l.seconds, l.nanoseconds) < (r.seconds, r.nanoseconds) }
    /// `seconds.nanoseconds`, nine digits after the point.
    /// Written digit by digit into one small string (every printed frame has one: three
    /// strings joined were a hundredth of `--format json`'s time).
    public var description: String {
        guard (0..<1_000_000_000).contains(nanoseconds), seconds >= 0 else {
            let ns = String(nanoseconds)
            return "\(seconds)." + String(repeating: "0", count: max(0, 9 - ns.count)) + ns
        }
        return String(unsafeUninitializedCapacity: 30) { buf in
            var n = 0
            var digits = 1, s = seconds
            while s >= 10 { s /= 10; digits += 1 }
            s = seconds
            for i in stride(from: digits - 1, through: 0, by: -1) { buf[i] = UInt8(truncatingIfNeeded: 48 + s % 10); s /= 10 }
            n = digits
            buf[n] = UInt8(ascii: "."); n += 1
            var ns = nanoseconds
            for i in stride(from: n + 8, through: n, by: -1) { buf[i] = UInt8(truncatingIfNeeded: 48 + ns % 10); ns /= 10 }
            return n + 9
        }
    }
}

/// One frame as read. `bytes` belong to libpcap and are valid only until the next read.
public struct CapturedFrame {
    /// 1-based position in the file (before any filter).
    public let number: Int
    public let timestamp: Timestamp
    /// Bytes captured (may be fewer than `wireLength` under a snap length).
    public let bytes: UnsafeRawBufferPointer
    public let wireLength: Int
    public var isSnapped: Bool { bytes.count < wireLength }
}

public final class CaptureReader {
    public let path: String
    public let linkType: LinkType
    public let snapLength: Int
    private let handle: OpaquePointer
    private var framesRead = 0

    public init(path: String) throws(CaptureError) {
        self.path = path
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = tracer_pcap_open_offline(path, &errbuf) else {
            throw .open(path: path, message: Self.cleanLibpcapText(String(cString: errbuf), path: path))
        }
        let dlt = tracer_pcap_datalink(h)
        guard let lt = LinkType(rawValue: dlt) else {
            let name = tracer_pcap_datalink_name(dlt).map { String(cString: $0) } ?? "DLT_\(dlt)"
            tracer_pcap_close(h)
            throw .unsupportedLinkType(path: path, dlt: dlt, name: name)
        }
        handle = h
        linkType = lt
        snapLength = Int(tracer_pcap_snapshot(h))
    }

    deinit { tracer_pcap_close(handle) }

    /// The next frame, nil at the end of the file. A truncated or corrupt record throws, naming
    /// the frame it would have been; libpcap cannot resynchronise after that, so reading stops.
    public func next() throws(CaptureError) -> CapturedFrame? {
        var f = tracer_pcap_frame()
        switch tracer_pcap_next(handle, &f) {
        case 1:
            framesRead += 1
            return CapturedFrame(number: framesRead,
                                 timestamp: Timestamp(seconds: f.seconds, nanoseconds: f.subseconds),
                                 bytes: UnsafeRawBufferPointer(start: f.bytes, count: Int(f.caplen)),
                                 wireLength: Int(f.wirelen))
        case 0:
            return nil
        default:
            throw .read(path: path, frame: framesRead + 1, message: String(cString: tracer_pcap_error(handle)))
        }
    }

    /// libpcap prefixes some messages with the path; we print the path ourselves.
    static func cleanLibpcapText(_ text: String, path: String) -> String {
        let prefix = path + ": "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    public static var libpcapVersion: String { String(cString: tracer_pcap_lib_version()) }
}
