// SNMP counters under the names `nstat` prints (the /proc/net/snmp and netstat row prefix and
// field: IpInReceives, IpExtInOctets, UdpNoPorts, TcpExtIPReversePathFilter, …).

/// One frame's counter deltas. A frame bumps a handful of counters, so they are kept as a short
/// list searched in order (names are literals: comparing them is cheap) — hashing every name,
/// as a dictionary would, cost more than the rest of the counting.
public struct Counters: Equatable, Sendable {
    private var names: [String] = []
    private var counts: [Int] = []

    public init() {}

    public mutating func inc(_ name: String, by n: Int = 1) {
        if let i = names.firstIndex(of: name) { counts[i] += n } else { names.append(name); counts.append(n) }
    }

    public var isEmpty: Bool { names.isEmpty }
    /// The deltas by name.
    public var deltas: [String: Int] { Dictionary(uniqueKeysWithValues: zip(names, counts)) }
    /// Sorted by name, as nstat sorts them.
    public var sorted: [(String, Int)] { zip(names, counts).sorted { $0.0 < $1.0 } }
    /// Each counter and its delta, in the order they were first bumped.
    public func forEach(_ body: (String, Int) -> Void) { for (n, c) in zip(names, counts) { body(n, c) } }

    public static func == (a: Counters, b: Counters) -> Bool { a.deltas == b.deltas }
}
