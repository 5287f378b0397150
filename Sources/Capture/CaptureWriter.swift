// Writing pcap files through libpcap (pcap_open_dead + pcap_dump), nanosecond timestamps.
import CPcap
import Wire

public final class CaptureWriter {
    public let path: String
    public let dlt: Int32
    private let dead: OpaquePointer
    private let dumper: OpaquePointer
    private var closed = false

    public convenience init(path: String, linkType: LinkType, snapLength: Int = 262_144) throws(CaptureError) {
        try self.init(path: path, dlt: linkType.rawValue, snapLength: snapLength)
    }

    /// Any DLT libpcap knows, also those tracer does not read (fixtures of unsupported link types).
    public init(path: String, dlt: Int32, snapLength: Int = 262_144) throws(CaptureError) {
        self.path = path
        self.dlt = dlt
        guard let d = tracer_pcap_open_dead(dlt, Int32(snapLength)) else {
            throw .write(path: path, message: "libpcap could not open a handle for DLT \(dlt)")
        }
        guard let w = tracer_pcap_dump_open(d, path) else {
            let message = String(cString: tracer_pcap_error(d))
            tracer_pcap_close(d)
            throw .write(path: path, message: CaptureReader.cleanLibpcapText(message, path: path))
        }
        dead = d
        dumper = w
    }

    public func write(_ bytes: [UInt8], timestamp: Timestamp, wireLength: Int? = nil) {
        bytes.withUnsafeBytes { write($0, timestamp: timestamp, wireLength: wireLength) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer, timestamp: Timestamp, wireLength: Int? = nil) {
        precondition(!closed, "write after close")
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        tracer_pcap_dump(dumper, base, UInt32(bytes.count), UInt32(wireLength ?? bytes.count),
                         timestamp.seconds, timestamp.nanoseconds)
    }

    /// Flushes and closes the file. Safe to call twice.
    public func close() throws(CaptureError) {
        guard !closed else { return }
        closed = true
        let flushed = tracer_pcap_dump_flush(dumper)
        tracer_pcap_dump_close(dumper)
        tracer_pcap_close(dead)
        if flushed != 0 { throw .write(path: path, message: "could not flush the capture") }
    }

    deinit { if !closed { try? close() } }
}
