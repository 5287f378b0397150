/// Why bytes could not be read as a header: a value the caller inspects, never a crash.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the header needs.
    case truncated(Layer, need: Int, have: Int)
    /// A version field other than the layer's own (IPv4 with version 6, …).
    case badVersion(Layer, UInt8)
    /// A header-length field smaller than the fixed header or longer than the bytes.
    case badHeaderLength(Layer, Int)
    /// A total-length field that disagrees with the header or the bytes.
    case badTotalLength(Layer, Int)
    /// A malformed option (length 0 or 1, or running past the header).
    case badOption(Layer, offset: Int)
    /// ARP hardware/protocol sizes this model does not read (only Ethernet/IPv4 ARP is modelled).
    case unsupportedFormat(Layer, String)

    public enum Layer: String, Sendable, Hashable {
        case ethernet = "Ethernet", vlan = "802.1Q", sll = "Linux cooked", sll2 = "Linux cooked v2"
        case loopback = "BSD loopback", arp = "ARP", ipv4 = "IPv4", ipv6 = "IPv6"
        case icmp = "ICMP", icmpv6 = "ICMPv6", udp = "UDP", tcp = "TCP"
    }

    public var description: String {
        switch self {
        case .truncated(let l, let need, let have): "truncated \(l.rawValue) header (\(have) of \(need) bytes)"
        case .badVersion(let l, let v): "bad \(l.rawValue) version \(v)"
        case .badHeaderLength(let l, let n): "bad \(l.rawValue) header length \(n)"
        case .badTotalLength(let l, let n): "bad \(l.rawValue) total length \(n)"
        case .badOption(let l, let o): "malformed \(l.rawValue) option at offset \(o)"
        case .unsupportedFormat(let l, let what): "unsupported \(l.rawValue) format: \(what)"
        }
    }
}

extension Result {
    /// The parsed value, or nil when parsing failed (for callers that need no reason).
    public var value: Success? { if case .success(let v) = self { v } else { nil } }
}
