// net/ipv6/ip6_fib.c — the IPv6 routing tables as the model indexes them (6.18, 5.4): per table
// the routes by prefix length, longest first (fib6_node_lookup walks the radix tree to the
// longest match; rt6_select then takes the lowest metric whose device is up).
import HostModel
import Wire

struct FIB6Index {
    /// One route, its prefix as two words and whether its device is down.
    struct Entry { let route: Route; let prefix: IPv6Address; let length: Int; let deviceDown: Bool }
    /// Per table, the routes longest prefix first, then lowest metric.
    var tables: [RouteTable: [Entry]] = [:]
    /// The IPv6 rules in priority order.
    var rules: [PolicyRule] = []
    /// fib6_has_custom_rules: rules beyond `0: from all lookup local`, `32766: from all lookup main`.
    var hasCustomRules = false
    /// The local table's host routes, found once: the host's own addresses (`local`) and its
    /// anycast ones by device (the subnet-router anycast of each prefix, when forwarding).
    private(set) var localAddresses: Set<IPv6Address> = []
    private(set) var anycast: Set<NDKey> = []

    init(_ routes: [Route], rules allRules: [PolicyRule], interfaces: [Interface]) {
        for r in routes where !r.isV4 {
            guard case .v6(let p) = r.destination.network.address else { continue }
            let down = r.device.map { d in interfaces.first { $0.name == d }.map { !$0.isUp } ?? false } ?? false
            tables[r.table, default: []].append(Entry(route: r, prefix: p, length: r.destination.length, deviceDown: down))
        }
        for k in tables.keys { tables[k]!.sort { ($0.length, -$0.route.metric) > ($1.length, -$1.route.metric) } }
        for e in tables[.local] ?? [] where e.length == 128 {
            if e.route.type == .local { localAddresses.insert(e.prefix) }
            if e.route.type == .anycast, let d = e.route.device { anycast.insert(NDKey(device: d, address: e.prefix)) }
        }
        rules = allRules.filter { !$0.isV4 }.sorted { $0.priority < $1.priority }
        hasCustomRules = rules.contains { r in
            !((r.priority == 0 || r.priority == 32766) && r.source == nil && r.destination == nil && r.fwmark == nil
              && r.inputInterface == nil && r.outputInterface == nil && !r.invert
              && (r.action == .lookup(r.priority == 0 ? .local : .main)))
        } || rules.count > 2
    }

    /// The longest-prefix match in `table` (the device-down routes are passed over).
    func lookup(_ table: RouteTable, _ dst: IPv6Address) -> Route? {
        guard let entries = tables[table] else { return nil }
        for e in entries where !e.deviceDown && IPPrefix(address: .v6(e.prefix), length: e.length).contains(.v6(dst)) {
            return e.route
        }
        return nil
    }
}
