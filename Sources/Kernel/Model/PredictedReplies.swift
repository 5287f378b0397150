// Telling a host's answers from its applications' sends: used by `tracer explain` and `tracer
// verify` for frames a capture shows the host sending.
import DequeModule
import Wire

/// The frames the model said the kernel sends in answer to received ones (echo replies, ICMP
/// errors, SYN-ACKs, ACKs, RSTs), by addresses, protocol and ports: when the capture then shows
/// the host sending one, it is that answer, not an application's send. The newest 1,024 are kept.
public struct PredictedReplies {
    public init() {}
    /// Addresses, protocol, ports (or ICMP type and code) and, for TCP, the flags, packed into
    /// two words: hashed as two integers, not as an array of bytes.
    struct Signature: Hashable { var addresses: UInt64; var rest: UInt64 }
    var frames: [Signature: Int] = [:]
    var order: Deque<Signature> = []

    static func signature(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> Signature? {
        guard case .success(let link) = LinkFrame.decode(frame, as: linkType) else { return nil }
        let net = UnsafeRawBufferPointer(rebasing: frame[link.networkOffset...])
        if link.networkProtocol == .ipv6 {
            // Both addresses folded into one word; next header and the first four transport bytes.
            guard net.count >= 44 else { return nil }
            var addresses: UInt64 = 0
            for i in 8..<40 { addresses = (addresses << 5 | addresses >> 59) ^ UInt64(net[i]) }
            var rest = UInt64(net[6])
            for i in 40..<44 { rest = rest << 8 | UInt64(net[i]) }
            if net[6] == 6, net.count >= 54 { rest = rest << 16 | 0x100 | UInt64(net[53]) }
            return Signature(addresses: addresses, rest: rest | 1 << 63)
        }
        guard link.networkProtocol == .ipv4 else { return nil }
        guard net.count >= 20 else { return nil }
        let hlen = Int(net[0] & 0x0f) * 4
        guard net.count >= hlen + 4 else { return nil }
        var addresses: UInt64 = 0
        for i in 12..<20 { addresses = addresses << 8 | UInt64(net[i]) }
        var rest = UInt64(net[9])
        for i in hlen..<(hlen + 4) { rest = rest << 8 | UInt64(net[i]) }
        // TCP's flags, one more byte; 0x100 marks that they are there.
        if net[9] == 6, net.count >= hlen + 14 { rest = rest << 16 | 0x100 | UInt64(net[hlen + 13]) }
        return Signature(addresses: addresses, rest: rest)
    }

    public mutating func remember(_ r: FrameReport, frame: Int) {
        for e in r.emitted where e.why != "sent" {
            guard let s = e.bytes.withUnsafeBytes({ Self.signature($0, linkType: .ethernet) }) else { continue }
            if frames[s] == nil { order.append(s) }
            frames[s] = frame
        }
        while order.count > 1024 { frames[order.removeFirst()] = nil }
    }

    public mutating func match(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> Int? {
        guard let s = Self.signature(frame, linkType: linkType), let n = frames[s] else { return nil }
        frames[s] = nil
        order.removeAll { $0 == s }
        return n
    }
}
