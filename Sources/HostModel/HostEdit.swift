// Changes to a host, as an operator would make them on the real one: a sysctl set, the ruleset
// replaced, a route added or deleted (`ip route add|del …`), an interface's MTU. `tracer diff`
// applies them to make the "after" host; the why-not check applies its suggestion.
import Wire

public enum HostEdit: Equatable, Sendable, CustomStringConvertible {
    case sysctl(key: String, value: String)
    /// `nft -j list ruleset` of the new ruleset (it replaces the whole ruleset).
    case ruleset(json: String)
    case addRoute(Route)
    case deleteRoute(Route)
    case mtu(device: String, mtu: Int)
    /// A socket opened (a listener or an unconnected UDP socket).
    case addSocket(Socket)
    /// A UDP socket's sk_rcvbuf set (SO_RCVBUF doubled), by local port.
    case rcvbuf(port: UInt16, bytes: Int)
    /// A rule deleted (`nft delete rule TABLE CHAIN handle H`; by its text where there is no handle).
    case deleteRule(table: String, chain: String, handle: Int?, text: String)
    /// A base chain's policy set to accept.
    case policyAccept(table: String, chain: String)

    public var description: String {
        switch self {
        case .sysctl(let k, let v): return "sysctl -w \(k)=\(v)"
        case .ruleset: return "nft -f (a new ruleset)"
        case .addRoute(let r): return "ip route add \(Self.routeText(r))"
        case .deleteRoute(let r): return "ip route del \(Self.routeText(r))"
        case .mtu(let d, let m): return "ip link set \(d) mtu \(m)"
        case .addSocket(let s): return "a \(s.protocolKind.rawValue) socket on port \(s.localPort) (\(s.state))"
        case .rcvbuf(let p, let b): return "setsockopt(SO_RCVBUF, \(b / 2)) on UDP port \(p) (sk_rcvbuf \(b))"
        case .deleteRule(let t, let c, let h, let text):
            // An iptables-save rule (`-A CHAIN …`) is deleted as iptables deletes it.
            if text.hasPrefix("-A ") {
                let table = t.split(separator: " ").last.map(String.init) ?? "filter"
                return "iptables \(table == "filter" ? "" : "-t \(table) ")-D \(text.dropFirst(3))"
            } else {
                return h.map { "nft delete rule \(t) \(c) handle \($0) (`\(text)`)" } ?? "delete `\(text)` from \(t) \(c)"
            }
        case .policyAccept(let t, let c): return "nft chain \(t) \(c) '{ policy accept; }'"
        }
    }

    static func routeText(_ r: Route) -> String {
        var parts: [String] = []
        if r.type != .unicast { parts.append(r.type.rawValue) }
        parts.append(r.destination.length == 0 ? "default" : r.destination.description)
        if let g = r.gateway { parts += ["via", g.description] }
        if let d = r.device { parts += ["dev", d] }
        if r.table != .main { parts += ["table", r.table.description] }
        if r.metric != 0 { parts += ["metric", String(r.metric)] }
        return parts.joined(separator: " ")
    }

    /// `ip route add|del [TYPE] PREFIX|default [via GW] [dev DEV] [table T] [metric N] [src A]
    /// [mtu N]` (`ip`, `-6` and `route` optional, as an operator types it).
    public init(routeCommand text: String) throws(SnapshotError) {
        var words = text.split(separator: " ").map(String.init)
        func fail(_ why: String) -> SnapshotError { SnapshotError(file: "--route", message: "\(why): '\(text)'") }
        if words.first == "ip" { words.removeFirst() }
        var v6 = false
        if words.first == "-6" { v6 = true; words.removeFirst() }
        if words.first == "route" { words.removeFirst() }
        guard let verb = words.first, verb == "add" || verb == "del" || verb == "delete" else { throw fail("expected `ip route add …` or `ip route del …`") }
        words.removeFirst()
        var type = RouteType.unicast
        if let w = words.first, let t = RouteType(rawValue: w), t != .unicast { type = t; words.removeFirst() }
        guard let dest = words.first else { throw fail("no destination") }
        words.removeFirst()
        if dest.contains(":") { v6 = true }
        guard let prefix = IPPrefix(dest == "default" ? "default" : (dest.contains("/") ? dest : dest + (v6 ? "/128" : "/32")), v6: v6) else {
            throw fail("'\(dest)' is not a prefix")
        }
        var route = Route(type: type, destination: prefix.network)
        var scopeGiven = false
        var i = 0
        while i < words.count {
            let key = words[i], value = i + 1 < words.count ? words[i + 1] : nil
            guard let value else { throw fail("'\(key)' without a value") }
            switch key {
            case "via":
                guard let g = IPAddress(value) else { throw fail("'\(value)' is not an address") }
                route.gateway = g
            case "dev": route.device = value
            case "table":
                guard let t = RouteTable(name: value) else { throw fail("'\(value)' is not a table") }
                route.table = t
            case "metric", "preference":
                guard let m = Int(value) else { throw fail("'\(value)' is not a metric") }
                route.metric = m
            case "src":
                guard let a = IPAddress(value) else { throw fail("'\(value)' is not an address") }
                route.preferredSource = a
            case "mtu":
                guard let m = Int(value) else { throw fail("'\(value)' is not an MTU") }
                route.mtu = m
            case "proto": route.protocolName = value
            case "scope": route.scope = RouteScope(value); scopeGiven = true
            default: throw fail("'\(key)' is not a route option tracer models")
            }
            i += 2
        }
        // ip's defaults: a route with no gateway is on-link (scope link), a typed one host-less.
        if !scopeGiven {
            route.scope = route.gateway == nil && type == .unicast ? .link : .universe
        }
        if v6 && route.metric == 0 { route.metric = 1024 }
        self = verb == "add" ? .addRoute(route) : .deleteRoute(route)
    }
}

extension Host {
    /// The host with `edits` made, in order. A route deleted must exist (as `ip route del` says
    /// "No such process" otherwise); an MTU's interface must exist.
    public func applying(_ edits: [HostEdit]) throws(SnapshotError) -> Host {
        var h = self
        for e in edits {
            switch e {
            case .sysctl(let k, let v):
                h.sysctls.values[k] = v
                // As the kernel writes them: ip_forward (or conf.all.forwarding) sets `all`,
                // `default` and every device's forwarding (inet_forward_change); IPv6's
                // conf.all.forwarding every device's too (addrconf_fixup_forwarding).
                if k == "net.ipv4.ip_forward" || k == "net.ipv4.conf.all.forwarding" {
                    h.sysctls.values["net.ipv4.ip_forward"] = v
                    for d in ["all", "default"] + h.interfaces.map(\.name) { h.sysctls.values["net.ipv4.conf.\(d).forwarding"] = v }
                } else if k == "net.ipv6.conf.all.forwarding" {
                    for d in ["default"] + h.interfaces.map(\.name) { h.sysctls.values["net.ipv6.conf.\(d).forwarding"] = v }
                }
            case .ruleset(let json):
                do { h.ruleset = try Ruleset(nftJSON: json) } catch { throw SnapshotError(file: "--nft", message: error.description) }
                h.nftablesJSON = json
            case .addRoute(let r):
                h.routes.append(r)
            case .deleteRoute(let r):
                guard let i = h.routes.firstIndex(where: { o in
                    o.destination == r.destination && o.table == r.table && o.type == r.type
                        && (r.gateway == nil || o.gateway == r.gateway) && (r.device == nil || o.device == r.device)
                        && (r.metric == 0 || o.metric == r.metric)
                }) else { throw SnapshotError(file: "--route", message: "no route \(HostEdit.routeText(r)) to delete") }
                h.routes.remove(at: i)
            case .mtu(let d, let m):
                guard let i = h.interfaces.firstIndex(where: { $0.name == d }) else {
                    throw SnapshotError(file: "--mtu", message: "no interface \(d)")
                }
                h.interfaces[i].mtu = m
            case .addSocket(let s):
                h.sockets.append(s)
            case .deleteRule(let t, let c, let handle, let text):
                guard let ti = h.ruleset.tables.firstIndex(where: { "\($0.family.rawValue) \($0.name)" == t }),
                      let ci = h.ruleset.tables[ti].chains.firstIndex(where: { $0.name == c }),
                      let ri = h.ruleset.tables[ti].chains[ci].rules.firstIndex(where: { handle != nil && $0.handle == handle || handle == nil && $0.text == text })
                else { throw SnapshotError(file: "ruleset", message: "no rule `\(text)` in \(t) \(c)") }
                h.ruleset.tables[ti].chains[ci].rules.remove(at: ri)
            case .policyAccept(let t, let c):
                guard let ti = h.ruleset.tables.firstIndex(where: { "\($0.family.rawValue) \($0.name)" == t }),
                      let ci = h.ruleset.tables[ti].chains.firstIndex(where: { $0.name == c && $0.base != nil })
                else { throw SnapshotError(file: "ruleset", message: "no base chain \(c) in \(t)") }
                h.ruleset.tables[ti].chains[ci].base!.policyDrops = false
            case .rcvbuf(let port, let bytes):
                for i in h.sockets.indices where h.sockets[i].protocolKind == .udp && h.sockets[i].localPort == port {
                    h.sockets[i].rcvbuf = bytes
                }
            }
        }
        return h
    }
}
