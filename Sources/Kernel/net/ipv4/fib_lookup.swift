// net/ipv4/fib_rules.c + net/core/fib_rules.c (policy rules) and net/ipv4/fib_trie.c (the
// longest-prefix match in one table) — modelled: 6.18, 5.4.
// fib_lookup walks the rules by priority; a `lookup TABLE` rule searches that table, and a
// `throw` route (or no match) goes on to the next rule. Route types that are errors end the
// lookup with their errno (fib_props): unreachable -EHOSTUNREACH, prohibit -EACCES,
// blackhole -EINVAL.
import HostModel
import Wire

/// A flow as the FIB sees it (struct flowi4).
struct Flow {
    var source: IPv4Address
    var destination: IPv4Address
    var iif: Interface?
    var oif: Interface?
    var mark: UInt32 = 0
    var tos: UInt8 = 0
    var proto: UInt8 = 0
    var sport: UInt16 = 0
    var dport: UInt16 = 0
    /// flowi4_iif when no device stands for it (0 in a bare `{ .daddr = addr }` flow).
    var iifIndex: Int? = nil
}

struct FibResult {
    var route: Route
    var table: RouteTable
    var rule: PolicyRule?
}

let EPERM: Int32 = 1, EADDRINUSE: Int32 = 98, ENOBUFS: Int32 = 105
let EINVAL: Int32 = 22, EHOSTUNREACH: Int32 = 113, ENETUNREACH: Int32 = 101, EACCES: Int32 = 13, EXDEV: Int32 = 18, EAGAIN: Int32 = 11

extension Kernel {
    /// inet_addr_type_dev_table: the type of `addr` by a lookup in the local table.
    @discardableResult
    func inet_addr_type(_ addr: IPv4Address) -> RouteType {
        fib_table_lookup(.local, Flow(source: .any, destination: addr, iif: nil, oif: nil, iifIndex: 0))?.type ?? .unicast
    }

    /// fib_lookup: a route, or the errno the kernel returns.
    func fib_lookup(_ flow: Flow) -> Result<FibResult, FibError> {
        let f = trace.enter(.fib_lookup); defer { trace.leave(f) }
        // No custom rules: no rule walk, one lookup in the main table (include/net/ip_fib.h).
        if !net.ipv4.fib.hasCustomRules {
            guard let r = fib_table_lookup(.main, flow), r.type != .throw else {
                return .failure(FibError(errno: ENETUNREACH, route: nil, table: nil, rule: nil))
            }
            if let e = Self.errno(of: r.type) { return .failure(FibError(errno: e, route: r, table: r.table, rule: nil)) }
            return .success(FibResult(route: r, table: r.table, rule: nil))
        }
        for rule in net.ipv4.fib.rules where fib4_rule_match(rule, flow) {
            switch rule.action {
            case .lookup(let table):
                // fib_get_table: a table never given a route does not exist: nothing is looked up.
                guard table == .main || table == .local || net.ipv4.fib.tables[table] != nil else { continue }
                switch fib_table_lookup(table, flow) {
                case .some(let r) where r.type == .throw: continue
                case .some(let r):
                    if let s = rule.suppressPrefixLength, r.destination.length <= s { continue }
                    if let e = Self.errno(of: r.type) { return .failure(FibError(errno: e, route: r, table: table, rule: rule)) }
                    return .success(FibResult(route: r, table: table, rule: rule))
                case .none: continue
                }
            case .blackhole: return .failure(FibError(errno: EINVAL, route: nil, table: nil, rule: rule))
            case .unreachable: return .failure(FibError(errno: EHOSTUNREACH, route: nil, table: nil, rule: rule))
            case .prohibit: return .failure(FibError(errno: EACCES, route: nil, table: nil, rule: rule))
            case .goto, .nop: continue
            }
        }
        return .failure(FibError(errno: ENETUNREACH, route: nil, table: nil, rule: nil))
    }

    static func errno(of type: RouteType) -> Int32? {
        switch type {
        case .unreachable: EHOSTUNREACH
        case .prohibit: EACCES
        case .blackhole: EINVAL
        default: nil
        }
    }

    func fib4_rule_match(_ r: PolicyRule, _ fl: Flow) -> Bool {
        var m = true
        if let s = r.source, !s.contains(fl.source) { m = false }
        if let d = r.destination, !d.contains(fl.destination) { m = false }
        if let i = r.inputInterface, i != (fl.iif?.name ?? "lo") { m = false }
        if let o = r.outputInterface, o != fl.oif?.name { m = false }
        if let mark = r.fwmark, (fl.mark ^ mark) & (r.fwmask ?? 0xffff_ffff) != 0 { m = false }
        if let tos = r.tos, Int(fl.tos) != tos { m = false }
        if let p = r.ipProtocol, p != Self.protocolName(fl.proto) { m = false }
        if let p = r.sourcePorts, !p.contains(Int(fl.sport)) { m = false }
        if let p = r.destinationPorts, !p.contains(Int(fl.dport)) { m = false }
        return m != r.invert
    }

    static func protocolName(_ p: UInt8) -> String {
        switch p { case 6: "tcp"; case 17: "udp"; case 1: "icmp"; default: String(p) }
    }

    /// The longest matching prefix in `table`; among equals, the lowest metric. Routes through a
    /// device that is down are skipped (their next hop is dead). The kernel walks an LC-trie
    /// (fib_trie.c); the model probes one hash table per prefix length, longest first — the same
    /// answer, in at most 33 probes whatever the table's size.
    func fib_table_lookup(_ table: RouteTable, _ fl: Flow) -> Route? {
        let f = trace.enter(.fib_table_lookup); defer { trace.leave(f) }
        var best = fib_trie_search(table, fl)
        // Without custom rules the local table is not split off yet (fib_unmerge comes with
        // the first one): the main table's trie holds the local routes as well.
        if table == .main && !net.ipv4.fib.hasCustomRules, let local = fib_trie_search(.local, fl),
           local.destination.length >= (best?.destination.length ?? -1) {
            best = local
        }
        // …and the local table is that same trie (fib_new_table aliases it to main's): a lookup
        // in it finds main's routes too, under table 255.
        if table == .local && !net.ipv4.fib.hasCustomRules, let main = fib_trie_search(.main, fl),
           main.destination.length > (best?.destination.length ?? -1) {
            best = main
        }
        // The fib:fib_table_lookup tracepoint's record; totals need none.
        guard recordsStacks else { return best }
        let result = best.map { net.ipv4.fib.tracepointResult($0) } ?? "dev - err -\(EAGAIN)"
        record.fib.append(FIBLookup(table: table, source: .v4(fl.source), destination: .v4(fl.destination),
                             iif: fl.iifIndex ?? fl.iif?.index ?? 1, oif: fl.oif?.index ?? 0, result: result))
        return best
    }
}

extension Kernel {
    /// The longest-prefix match in one table's routes (fib_table_lookup's trie walk), untraced.
    func fib_trie_search(_ table: RouteTable, _ fl: Flow) -> Route? {
        guard let t = net.ipv4.fib.table(table) else { return nil }
        for level in t.levels {
            guard let candidates = level.nets[fl.destination.value & level.mask] else { continue }
            for c in candidates {   // sorted by metric
                if c.deviceDown { continue }
                if let o = fl.oif, let d = c.route.device, o.name != d, c.route.type == .unicast { continue }
                return c.route
            }
        }
        return nil
    }
}

/// The IPv4 routes of every table, indexed for longest-prefix match: per table, the prefix
/// lengths in use (longest first) and, per length, the routes by network address.
/// (A class: every lookup reads it, and a struct held in net->ipv4 was copied — a retain per
/// table — at each.)
final class FIBIndex {
    /// A route, and whether its device is down (fixed for the host, so worked out once).
    struct Candidate { let route: Route; let deviceDown: Bool }
    /// One prefix length's routes by network address.
    struct Level { let length: Int; let mask: UInt32; var nets: [UInt32: [Candidate]] }
    /// The prefix lengths in use, longest first.
    struct Table { var levels: [Level] = [] }
    var tables: [RouteTable: Table] = [:]
    /// The two tables every lookup without custom rules reads, kept out of the dictionary.
    private var main: Table?, local: Table?

    func table(_ id: RouteTable) -> Table? { id == .main ? main : id == .local ? local : tables[id] }

    /// The fib:fib_table_lookup tracepoint's words for a lookup that found `r` (its device,
    /// gateway and error), the last few kept: a capture's lookups find the same few routes.
    func tracepointResult(_ r: Route) -> String {
        recentResults.value(for: TracepointKey(device: r.device, gateway: r.gateway, type: r.type)) { k in
            let err = Kernel.errno(of: k.type).map { -$0 } ?? (k.type == .throw ? -EAGAIN : 0)
            return "dev \(k.device ?? "-") gw \(k.gateway?.description ?? "0.0.0.0") err \(err)"
        }
    }
    private struct TracepointKey: Equatable { let device: String?, gateway: IPAddress?, type: RouteType }
    private let recentResults = Recent<TracepointKey, String>(remembering: 8)
    /// The IPv4 rules in priority order (fib_rules_lookup's list).
    var rules: [PolicyRule] = []
    /// net->ipv4.fib_has_custom_local_routes: a local-table route the kernel did not add itself.
    var hasCustomLocalRoutes = false
    /// fib4_has_custom_rules: rules beyond the three every namespace starts with.
    var hasCustomRules = false
    /// fib4_rules_early_flow_dissect: some rule selects on ports or protocol.
    var rulesUsePorts = false

    init(_ routes: [Route], rules allRules: [PolicyRule], interfaces: [Interface]) {
        rules = allRules.filter(\.isV4).sorted { $0.priority < $1.priority }
        hasCustomRules = rules.contains { !PolicyRule.defaultV4.contains($0) }
        rulesUsePorts = rules.contains { $0.ipProtocol != nil || $0.sourcePorts != nil || $0.destinationPorts != nil }
        hasCustomLocalRoutes = routes.contains { $0.isV4 && $0.table == .local && $0.protocolName != "kernel" }
        // A device is found by name as the kernel's nexthop holds it; the first of a name wins.
        var down: [String: Bool] = [:]
        for i in interfaces where down[i.name] == nil { down[i.name] = !i.isUp }
        var last: (device: String, down: Bool?)? = nil   // routes come by the thousand per device
        func isDown(_ device: String) -> Bool? {
            if let last, last.device == device { return last.down }
            last = (device, down[device])
            return last!.down
        }
        // One level per (table, prefix length), each network's candidates in the order the
        // snapshot lists them, then sorted by metric where a network has several (rare: a
        // 100,000-route table is mostly one route a network).
        var levels: [UInt64: [UInt32: [Candidate]]] = [:]
        for r in routes where r.isV4 {
            guard case .v4(let a) = r.destination.address else { continue }
            let c = Candidate(route: r, deviceDown: r.device.flatMap(isDown) ?? false)
            levels[UInt64(r.table.id) << 8 | UInt64(r.destination.length), default: [:]][a.value & IPPrefix.mask4(r.destination.length), default: []].append(c)
        }
        var byTable: [RouteTable: [(length: Int, nets: [UInt32: [Candidate]])]] = [:]
        for (key, var nets) in levels {
            for (net, cs) in nets where cs.count > 1 {
                nets[net] = cs.enumerated().sorted { ($0.element.route.metric, $0.offset) < ($1.element.route.metric, $1.offset) }.map(\.element)
            }
            byTable[RouteTable(UInt32(key >> 8)), default: []].append((Int(key & 0xff), nets))
        }
        for (t, byLength) in byTable {
            var table = Table()
            for level in byLength.sorted(by: { $0.length > $1.length }) {
                table.levels.append(Level(length: level.length, mask: IPPrefix.mask4(level.length), nets: level.nets))
            }
            tables[t] = table
        }
        main = tables[.main]
        local = tables[.local]
    }
}

struct FibError: Error {
    var errno: Int32
    var route: Route?
    var table: RouteTable?
    var rule: PolicyRule?
}
