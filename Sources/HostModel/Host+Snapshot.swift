// Building a Host from a snapshot's files: `ip -j` JSON, `sysctl -a`, `ss -H -tuanm`.
import Foundation
import Wire

extension Host {
    /// Loads a snapshot directory, or `default` for the embedded default host.
    public static func load(_ spec: String) throws(SnapshotError) -> Host {
        if spec == "default" { return defaultHost }
        return try Host(snapshot: Snapshot.read(directory: spec))
    }

    public init(snapshot: Snapshot) throws(SnapshotError) {
        let reader = SnapshotReader(snapshot: snapshot)
        self.init(origin: snapshot.origin)
        interfaces = try reader.interfaces()
        routes = try reader.routes()
        rules = try reader.rules()
        neighbours = try reader.neighbours()
        multicast = try reader.multicast()
        if let text = snapshot.files[.sysctl] { sysctls = Sysctls(parsing: text) }
        if let text = snapshot.files[.sockets] {
            // `ss -m` puts each socket's skmem on a line of its own, indented, after it.
            for line in text.split(separator: "\n") {
                if line.first == " " || line.first == "\t" {
                    if !sockets.isEmpty { sockets[sockets.count - 1].readSkmem(line) }
                } else if let s = Socket(ssLine: line) {
                    sockets.append(s)
                }
            }
        }
        nftablesJSON = snapshot.files[.nftJSON]
        if let text = nftablesJSON, !text.allSatisfy(\.isWhitespace) {
            do { ruleset = try Ruleset(nftJSON: text) } catch { throw reader.fail(.nftJSON, error.description) }
        }
        // iptables-save's tables stand in for what nft shows of them (iptables-nft's own tables
        // hold xt expressions nft -j cannot spell out).
        if let text = snapshot.files[.iptablesSave], !text.allSatisfy(\.isWhitespace) {
            let ipt: Ruleset
            do { ipt = try Ruleset(iptablesSave: text) } catch { throw reader.fail(.iptablesSave, error.description) }
            // A table nft made (its own base chains, e.g. `table ip nat { chain postrouting … }`) is
            // one iptables-nft cannot read: iptables-save says so ("Table `nat' contains
            // incompatible base-chains") and prints empty built-in chains for it; nft's view stands.
            let foreign = Ruleset.incompatibleTables(iptablesSave: text)
            let tables = ipt.tables.filter { !foreign.contains($0.name) }
            let names = Set(tables.map(\.name))
            ruleset.tables = ruleset.tables.filter { !($0.family == .ip && names.contains($0.name)) } + tables
        }
    }
}

/// Reads one file at a time; every error names the file and the entry.
struct SnapshotReader {
    let snapshot: Snapshot

    func path(_ f: SnapshotFile) -> String {
        snapshot.origin == "this machine" ? f.rawValue : (snapshot.origin as NSString).appendingPathComponent(f.rawValue)
    }

    func fail(_ f: SnapshotFile, _ message: String) -> SnapshotError { SnapshotError(file: path(f), message: message) }

    /// The file as a JSON array of objects; empty when the file is absent.
    func entries(_ f: SnapshotFile) throws(SnapshotError) -> [[String: Any]] {
        var out: [[String: Any]] = []
        try forEachEntry(f) { (_, o) throws(SnapshotError) in out.append(o) }
        return out
    }

    /// Each object of the file's JSON array in turn, made into what the caller keeps and
    /// dropped (the big files — routes — are never held whole as dictionaries).
    func forEachEntry(_ f: SnapshotFile, _ body: (Int, [String: Any]) throws(SnapshotError) -> Void) throws(SnapshotError) {
        guard let text = snapshot.files[f] else { return }
        if text.allSatisfy(\.isWhitespace) { return }
        var failure: SnapshotError? = nil
        do {
            try JSONReader.forEachElement(text) { (i, e) throws(JSONReadError) -> Bool in
                guard let o = e as? [String: Any] else { failure = fail(f, "entry \(i) is not an object"); return false }
                do throws(SnapshotError) { try body(i, o) } catch { failure = error; return false }
                return true
            }
        } catch {
            // Valid JSON that is not an array is said so; anything else is not JSON.
            if (try? JSONReader.parse(text)) != nil { throw fail(f, "expected a JSON array (the output of `\(f.command)`)") }
            throw fail(f, "not JSON (expected the output of `\(f.command)`)")
        }
        if let failure { throw failure }
    }

    func interfaces() throws(SnapshotError) -> [Interface] {
        var drivers: [String: String] = [:]
        // `/sys/class/net/eth0/device/uevent:DRIVER=e1000`
        for line in (snapshot.files[.drivers] ?? "").split(separator: "\n") {
            let parts = line.split(separator: "/")
            guard parts.count >= 4, let eq = line.range(of: "DRIVER=") else { continue }
            drivers[String(parts[3])] = String(line[eq.upperBound...]).trimmed
        }
        // `/sys/class/net/eth0/queues/rx-0/rps_cpus:00000003`: a queue whose mask has a CPU in it.
        var rps: [String: String] = [:]
        for line in (snapshot.files[.rps] ?? "").split(separator: "\n") {
            let parts = line.split(separator: "/"), mask = line.split(separator: ":").last.map { String($0).trimmed } ?? ""
            guard parts.count >= 7, parts[5].hasPrefix("rx-"), mask.contains(where: { $0.isHexDigit && $0 != "0" }),
                  rps[String(parts[3])] == nil else { continue }
            rps[String(parts[3])] = mask
        }
        var out: [Interface] = []
        for (i, e) in try entries(.addresses).enumerated() {
            guard let index = e["ifindex"] as? Int, let name = e["ifname"] as? String else {
                throw fail(.addresses, "entry \(i + 1): no ifindex/ifname")
            }
            let kind = (e["linkinfo"] as? [String: Any])?["info_kind"] as? String
            var iface = Interface(index: index, name: name, mac: (e["address"] as? String).flatMap(MACAddress.init),
                                  mtu: e["mtu"] as? Int ?? 1500, flags: e["flags"] as? [String] ?? [],
                                  operState: e["operstate"] as? String ?? "UNKNOWN",
                                  linkType: e["link_type"] as? String ?? "ether", kind: kind,
                                  driver: drivers[name] ?? kind, promiscuity: e["promiscuity"] as? Int ?? 0)
            if iface.linkType != "ether" && iface.linkType != "loopback" { iface.mac = nil }
            iface.rpsCPUs = rps[name]
            for (j, a) in (e["addr_info"] as? [[String: Any]] ?? []).enumerated() {
                guard let local = a["local"] as? String, let address = IPAddress(local), let plen = a["prefixlen"] as? Int else {
                    throw fail(.addresses, "\(name): address \(j + 1): no local/prefixlen")
                }
                iface.addresses.append(InterfaceAddress(
                    address: address, prefixLength: plen,
                    broadcast: (a["broadcast"] as? String).flatMap { IPv4Address($0) },
                    scope: RouteScope(a["scope"] as? String ?? "global"), label: a["label"] as? String))
            }
            out.append(iface)
        }
        return out
    }

    func routes() throws(SnapshotError) -> [Route] {
        // `ip route show table all` lists IPv6 routes too; where ip6-route.json is there, the
        // IPv6 ones come from it alone (an entry that appears in both is read once).
        let v6Entries = try entries(.routes6)
        let v6Keys = Set(v6Entries.map(Self.key))
        var out: [Route] = []
        var n = 0
        try forEachEntry(.routes) { (_, e) throws(SnapshotError) in
            guard v6Keys.isEmpty || !v6Keys.contains(Self.key(e)) else { return }
            n += 1
            out.append(try route(e, number: n, forceV6: false))
        }
        for e in v6Entries {
            n += 1
            out.append(try route(e, number: n, forceV6: true))
        }
        return out
    }

    static func key(_ e: [String: Any]) -> String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: e, options: [.sortedKeys]), as: UTF8.self)) ?? ""
    }

    func route(_ e: [String: Any], number: Int, forceV6: Bool) throws(SnapshotError) -> Route {
        let file: SnapshotFile = forceV6 ? .routes6 : .routes
        // The entry's fields in one pass (a snapshot can hold 100,000 routes: a hashed lookup per
        // field was a third of loading one).
        var dstText: String?, gatewayText: String?, prefsrcText: String?, typeText: String?, tableText: String?
        var dev: String?, scopeText: String?, protocolText: String?, tosText: String?
        var metric = 0, mtu: Int? = nil, flags: [String] = []
        for (k, v) in e {
            switch k {
            case "dst": dstText = v as? String
            case "gateway": gatewayText = v as? String
            case "prefsrc": prefsrcText = v as? String
            case "type": typeText = v as? String
            case "table": tableText = v as? String
            case "dev": dev = v as? String
            case "scope": scopeText = v as? String
            case "protocol": protocolText = v as? String
            case "tos": tosText = v as? String
            case "metric": metric = v as? Int ?? 0
            case "flags": flags = v as? [String] ?? []
            case "metrics":
                for m in v as? [[String: Any]] ?? [] {
                    if let v = m["mtu"] as? Int { mtu = v }
                }
            default: break
            }
        }
        let v6 = forceV6 || [dstText, gatewayText, prefsrcText].contains { $0?.utf8.contains(UInt8(ascii: ":")) == true }
        guard let dstText, let dst = IPPrefix(dstText, v6: v6) else {
            throw fail(file, "route \(number): bad or missing dst")
        }
        guard let type = RouteType(rawValue: typeText ?? "unicast") else {
            throw fail(file, "route \(number): unknown route type '\(typeText ?? "")'")
        }
        guard let table = RouteTable(name: tableText ?? "main") else {
            throw fail(file, "route \(number): bad table '\(tableText ?? "")'")
        }
        let defaultScope: RouteScope = switch type {
        case .local: .host
        case .broadcast, .multicast, .anycast: .link
        default: .universe
        }
        return Route(table: table, type: type, destination: dst.network, gateway: gatewayText.flatMap { IPAddress($0) },
                     device: dev, metric: metric,
                     scope: scopeText.map(RouteScope.init) ?? defaultScope,
                     preferredSource: prefsrcText.flatMap { IPAddress($0) },
                     protocolName: protocolText ?? "boot", tos: Int(tosText ?? "") ?? 0, mtu: mtu,
                     flags: flags)
    }

    func rules() throws(SnapshotError) -> [PolicyRule] {
        let v4 = try entries(.rules)
        let v6 = try entries(.rules6)
        var out: [PolicyRule] = []
        if snapshot.files[.rules] == nil { out += PolicyRule.defaultV4 }
        for (i, e) in v4.enumerated() { out.append(try rule(e, number: i + 1, v6: false)) }
        for (i, e) in v6.enumerated() { out.append(try rule(e, number: i + 1, v6: true)) }
        return out
    }

    func rule(_ e: [String: Any], number: Int, v6: Bool) throws(SnapshotError) -> PolicyRule {
        let file: SnapshotFile = v6 ? .rules6 : .rules
        func prefix(_ addr: String, _ len: String) throws(SnapshotError) -> IPPrefix? {
            guard let a = e[addr] as? String, a != "all" else { return nil }
            guard let p = IPPrefix(a, v6: v6) else { throw fail(file, "rule \(number): bad \(addr) '\(a)'") }
            return IPPrefix(address: p.address, length: e[len] as? Int ?? p.length)
        }
        func hex(_ k: String) -> UInt32? {
            guard let s = e[k] as? String else { return nil }
            return s.hasPrefix("0x") ? UInt32(s.dropFirst(2), radix: 16) : UInt32(s)
        }
        func ports(_ k: String) -> ClosedRange<Int>? {
            if let p = e[k] as? Int { return p...p }
            if let s = e[k] as? String {
                let parts = s.split(separator: "-").compactMap { Int($0) }
                if parts.count == 2, parts[0] <= parts[1] { return parts[0]...parts[1] }
                if parts.count == 1 { return parts[0]...parts[0] }
            }
            return nil
        }
        let action: PolicyRule.Action
        switch e["action"] as? String {
        case nil, "to_tbl"?:
            if let g = e["goto"] as? Int { action = .goto(g) }
            else if let t = e["table"] as? String {
                guard let table = RouteTable(name: t) else { throw fail(file, "rule \(number): bad table '\(t)'") }
                action = .lookup(table)
            } else { action = .nop }
        case "goto"?: action = .goto(e["goto"] as? Int ?? 0)
        case "nop"?: action = .nop
        case "blackhole"?: action = .blackhole
        case "unreachable"?: action = .unreachable
        case "prohibit"?: action = .prohibit
        case let other?: throw fail(file, "rule \(number): unknown action '\(other)'")
        }
        return PolicyRule(isV4: !v6, priority: e["priority"] as? Int ?? 0, invert: e.keys.contains("not"),
                          source: try prefix("src", "srclen"), destination: try prefix("dst", "dstlen"),
                          inputInterface: e["iif"] as? String, outputInterface: e["oif"] as? String,
                          fwmark: hex("fwmark"), fwmask: hex("fwmask"), tos: (e["tos"] as? String).flatMap { Int($0, radix: 16) },
                          ipProtocol: e["ipproto"] as? String, sourcePorts: ports("sport"), destinationPorts: ports("dport"),
                          suppressPrefixLength: e["suppress_prefixlength"] as? Int, action: action)
    }

    /// `ip -j maddr show`: per device, its `inet`/`inet6` groups (link-layer entries skipped).
    func multicast() throws(SnapshotError) -> [MulticastMembership] {
        var out: [MulticastMembership] = []
        for (i, e) in try entries(.multicast).enumerated() {
            guard let dev = e["ifname"] as? String else { throw fail(.multicast, "entry \(i + 1): no ifname") }
            for m in e["maddr"] as? [[String: Any]] ?? [] {
                guard let text = m["address"] as? String else { continue }
                guard let a = IPAddress(text), a.isMulticast else { throw fail(.multicast, "entry \(i + 1): \(text) is not a multicast address") }
                out.append(MulticastMembership(device: dev, group: a))
            }
        }
        return out
    }

    func neighbours() throws(SnapshotError) -> [Neighbour] {
        var out: [Neighbour] = []
        for (i, e) in try entries(.neighbours).enumerated() {
            guard let d = e["dst"] as? String, let a = IPAddress(d), let dev = e["dev"] as? String else {
                throw fail(.neighbours, "entry \(i + 1): bad dst/dev")
            }
            out.append(Neighbour(address: a, device: dev, mac: (e["lladdr"] as? String).flatMap(MACAddress.init),
                                 states: e["state"] as? [String] ?? []))
        }
        return out
    }
}
