// tcpdump filter expressions, compiled and run by libpcap itself.
import CPcap
import Wire

public final class PacketFilter {
    public let expression: String
    private var program = bpf_program()

    /// Compiles `expression` for frames of `linkType`. libpcap's own error text on failure.
    public init(expression: String, linkType: LinkType, snapLength: Int = 262_144) throws(CaptureError) {
        self.expression = expression
        guard let dead = tracer_pcap_open_dead(linkType.rawValue, Int32(snapLength)) else {
            throw .filter(expression: expression, message: "libpcap could not open a handle for \(linkType)")
        }
        defer { tracer_pcap_close(dead) }
        if tracer_pcap_compile(dead, &program, expression) != 0 {
            throw .filter(expression: expression, message: String(cString: tracer_pcap_error(dead)))
        }
    }

    deinit { tracer_pcap_freecode(&program) }

    public func matches(_ frame: CapturedFrame) -> Bool {
        matches(frame.bytes, wireLength: frame.wireLength)
    }

    public func matches(_ bytes: UnsafeRawBufferPointer, wireLength: Int) -> Bool {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        return tracer_pcap_filter_matches(&program, base, UInt32(bytes.count), UInt32(wireLength)) != 0
    }
}
