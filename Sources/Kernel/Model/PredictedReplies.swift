// Telling a host's answers from its applications' sends: used by `tracer explain` and `tracer
// verify` for frames a capture shows the host sending.
import DequeModule
import Wire

/// The frames the model said the kernel sends in answer to received ones (echo replies, ICMP
/// errors, SYN-ACKs, ACKs, RSTs), by addresses, protocol and ports: when the capture then shows
/// the host sending one, it is that answer, not an application's send. The newest 1,024 are kept.
public struct PredictedReplies {
    public init() {}
    struct Signature: Hashable { var bytes: [UInt8] }
    var frames: [Signature: Int] = [:]
    var order: Deque<Signature> = []

    static func signature(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> Signature? {
        guard case .success(let link) = LinkFrame.decode(frame, as: linkType), link.networkProtocol == .ipv4 else { return nil }
        let net = UnsafeRawBufferPointer(rebasing: frame[link.networkOffset...])
        guard net.count >= 20 else { return nil }
        let hlen = Int(net[0] & 0x0f) * 4
        guard net.count >= hlen + 4 else { return nil }
        // Addresses and protocol, then ports (or ICMP type and code); for TCP also the flags.
        var b = Array(net[12..<20]) + [net[9]] + Array(net[hlen..<(hlen + 4)])
        if net[9] == 6, net.count >= hlen + 14 { b.append(net[hlen + 13]) }
        return Signature(bytes: b)
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
