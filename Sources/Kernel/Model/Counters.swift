// SNMP counters under the names `nstat` prints (the /proc/net/snmp and netstat row prefix and
// field: IpInReceives, IpExtInOctets, UdpNoPorts, TcpExtIPReversePathFilter, …).

public struct Counters: Equatable, Sendable {
    public private(set) var deltas: [String: Int] = [:]
    public init() {}
    public mutating func inc(_ name: String, by n: Int = 1) { deltas[name, default: 0] += n }
    /// Sorted by name, as nstat sorts them.
    public var sorted: [(String, Int)] { deltas.sorted { $0.key < $1.key } }
}
