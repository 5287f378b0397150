// Reading `nft -j list ruleset` (libnftables' JSON schema, version 1) into a Ruleset. The JSON is
// decoded by JSONReader; only the mapping from nft's vocabulary (field names, symbolic constants)
// to numbers is written here, because no Swift library knows nftables' JSON.
import Foundation
import Wire

extension Ruleset {
    public init(nftJSON text: String) throws(RulesetError) {
        self.init()
        guard let root = (try? JSONReader.parse(text)) as? [String: Any],
              let items = root["nftables"] as? [Any] else {
            throw RulesetError("not the output of `nft -j list ruleset` (no \"nftables\" array)")
        }
        func tableIndex(_ o: [String: Any]) -> Int? {
            let fam = NFFamily(rawValue: o["family"] as? String ?? "")
            let name = o["table"] as? String
            return tables.firstIndex { $0.family == fam && $0.name == name }
        }
        for (i, item) in items.enumerated() {
            guard let obj = item as? [String: Any], let (kind, body) = obj.first, let o = body as? [String: Any] else { continue }
            switch kind {
            case "table":
                guard let fam = NFFamily(rawValue: o["family"] as? String ?? ""), let name = o["name"] as? String else {
                    throw RulesetError("item \(i + 1): a table without family or name")
                }
                tables.append(NFTable(family: fam, name: name))
            case "chain":
                guard let t = tableIndex(o), let name = o["name"] as? String else { throw RulesetError("item \(i + 1): a chain of no known table") }
                var chain = NFChain(name: name)
                if let hook = o["hook"] as? String {
                    chain.base = NFBaseChain(type: o["type"] as? String ?? "filter", hook: hook,
                                             priority: Self.priority(o["prio"]), policyDrops: (o["policy"] as? String) == "drop")
                }
                tables[t].chains.append(chain)
            case "set":
                guard let t = tableIndex(o), let name = o["name"] as? String else { throw RulesetError("item \(i + 1): a set of no known table") }
                let type = o["type"] as? String ?? ""
                let elems = (o["elem"] as? [Any] ?? []).map { Self.value($0, units: Self.units(setType: type)) }
                tables[t].sets[name] = NFSet(name: name, elements: elems)
            case "rule":
                guard let t = tableIndex(o), let cname = o["chain"] as? String, let c = tables[t].chainIndex(named: cname) else {
                    throw RulesetError("item \(i + 1): a rule of no known chain")
                }
                let exprs = o["expr"] as? [Any] ?? []
                var statements: [NFStatement] = []
                var words: [String] = []
                for e in exprs {
                    let (s, text) = Self.statement(e)
                    statements.append(s)
                    words.append(text)
                }
                tables[t].chains[c].rules.append(NFRule(handle: o["handle"] as? Int ?? 0, statements: statements,
                                                        text: words.joined(separator: " ")))
            default:
                continue   // metainfo, maps, flowtables, objects: not modelled
            }
        }
        indexSets()
    }

    static func priority(_ v: Any?) -> Int {
        if let n = v as? Int { return n }
        let names = ["raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100]
        return names[v as? String ?? ""] ?? 0
    }

    // MARK: statements

    static func statement(_ e: Any) -> (NFStatement, String) {
        guard let obj = e as? [String: Any], let (kind, body) = obj.first else { return (.unsupported("?"), "?") }
        switch kind {
        case "match":
            guard let m = body as? [String: Any], let (selector, mask, leftText) = Self.selector(m["left"]) else {
                return (.unsupported("match on \(Self.describe((body as? [String: Any])?["left"]))"), "…")
            }
            let opText = m["op"] as? String ?? "=="
            let op = NFMatch.Op(rawValue: opText) ?? .eq
            let value = Self.value(m["right"], units: Self.units(selector))
            let rightText = Self.text(m["right"])
            let shown = op == .eq || op == .flags ? "\(leftText) \(rightText)" : "\(leftText) \(opText) \(rightText)"
            return (.match(NFMatch(op: op, selector: selector, mask: mask, value: value)), shown)
        case "counter": return (.counter, "counter")
        case "log": return (.log, "log")
        case "limit": return (.limit, "limit")
        case "notrack": return (.notrack, "notrack")
        case "accept": return (.verdict(.accept), "accept")
        case "drop": return (.verdict(.drop), "drop")
        case "continue": return (.verdict(.continue), "continue")
        case "return": return (.verdict(.return), "return")
        case "queue": return (.verdict(.queue), "queue")
        case "jump", "goto":
            let target = (body as? [String: Any])?["target"] as? String ?? "?"
            return (.verdict(kind == "jump" ? .jump(target) : .goto(target)), "\(kind) \(target)")
        case "reject":
            let r = body as? [String: Any] ?? [:]
            let type = r["type"] as? String
            let expr = r["expr"] as? String
            if type == "tcp reset" { return (.reject(.tcpReset), "reject with tcp reset") }
            let code = expr.flatMap { type == "icmpx" ? icmpxCodes[$0] : icmpCodes[$0] } ?? 3
            let text = expr == nil || (type == "icmpx" && expr == "port-unreachable") ? "reject" : "reject with \(type ?? "icmp") \(expr!)"
            return (.reject(.icmp(code: code)), text)
        case "dnat", "snat", "masquerade", "redirect":
            let o = body as? [String: Any] ?? [:]
            let addr = (o["addr"] as? String).flatMap { IPv4Address($0) }
            let port = (o["port"] as? Int).map { UInt16(truncatingIfNeeded: $0) }
            guard (o["addr"] == nil || addr != nil), o["family"] == nil || o["family"] as? String == "ip" else {
                return (.unsupported("\(kind) (\(Self.describe(o["addr"])))"), kind)
            }
            var text = kind
            if addr != nil || port != nil { text += " to " + (addr?.description ?? "") + (port.map { ":\($0)" } ?? "") }
            return (.nat(NFNat(kind: NFNat.Kind(rawValue: kind)!, address: addr, port: port)), text)
        case "mangle":
            if let m = body as? [String: Any], let (sel, _, _) = Self.selector(m["key"]), sel == .meta("mark"), let v = m["value"] as? Int {
                return (.setMark(UInt32(truncatingIfNeeded: v)), "meta mark set \(v)")
            }
            return (.unsupported("mangle"), "mangle …")
        default:
            return (.unsupported(kind), kind)
        }
    }

    /// The left side of a match: a selector, an optional `&` mask, and its nft text.
    static func selector(_ v: Any?) -> (NFSelector, UInt64?, String)? {
        guard let o = v as? [String: Any], let (kind, body) = o.first else { return nil }
        switch kind {
        case "payload":
            guard let p = body as? [String: Any], let proto = p["protocol"] as? String, let field = p["field"] as? String else { return nil }
            let sel = NFSelector.payload(proto, field)
            return NFField(sel) != .unknown ? (sel, nil, sel.text) : nil
        case "meta":
            guard let key = (body as? [String: Any])?["key"] as? String, NFField(.meta(key)) != .unknown else { return nil }
            return (.meta(key), nil, NFSelector.meta(key).text)
        case "ct":
            guard let key = (body as? [String: Any])?["key"] as? String, ["state", "status", "mark"].contains(key) else { return nil }
            return (.ct(key), nil, "ct \(key)")
        case "&":
            guard let pair = body as? [Any], pair.count == 2, let (sel, _, text) = selector(pair[0]) else { return nil }
            let mask = Self.value(pair[1], units: Self.units(sel))
            var bits: UInt64 = 0
            if case .number(let n) = mask { bits = n } else if case .set(let vs) = mask {
                for case .number(let n) in vs { bits |= n }
            }
            return (sel, bits, "\(text) & \(Self.text(pair[1]))")
        default:
            return nil
        }
    }


    static func describe(_ v: Any?) -> String {
        guard let o = v as? [String: Any], let (kind, body) = o.first else { return "?" }
        if let b = body as? [String: Any] {
            if let p = b["protocol"] as? String, let f = b["field"] as? String { return "\(kind) \(p) \(f)" }
            if let k = b["key"] as? String { return "\(kind) \(k)" }
        }
        return kind
    }

    // MARK: values

    /// How a selector's symbolic constants read.
    enum Units { case address, port, proto, icmpType, tcpFlags, ctState, ctStatus, nfproto, etherType, pktType, interfaceName, plain }

    static func units(_ s: NFSelector) -> Units {
        switch s {
        case .payload(_, let f) where f == "saddr" || f == "daddr": .address
        case .payload(_, let f) where f == "sport" || f == "dport": .port
        case .payload("ip", "protocol"), .meta("l4proto"): .proto
        case .payload("icmp", "type"): .icmpType
        case .payload("tcp", "flags"): .tcpFlags
        case .ct("state"): .ctState
        case .ct("status"): .ctStatus
        case .meta("nfproto"): .nfproto
        case .meta("protocol"): .etherType
        case .meta("pkttype"): .pktType
        case .meta("iifname"), .meta("oifname"), .meta("iif"), .meta("oif"): .interfaceName
        default: .plain
        }
    }

    static func units(setType: String) -> Units {
        switch setType {
        case "ipv4_addr": .address
        case "inet_service": .port
        case "inet_proto": .proto
        case "ifname": .interfaceName
        case "icmp_type": .icmpType
        default: .plain
        }
    }

    static func value(_ v: Any?, units: Units) -> NFValue {
        switch v {
        case let n as Int: return .number(UInt64(truncatingIfNeeded: n))
        case let s as String:
            if s.hasPrefix("@") { return .named(String(s.dropFirst())) }
            if units == .interfaceName { return .string(s) }
            if units == .address, let a = IPv4Address(s) { return .number(UInt64(a.value)) }
            if let n = symbol(s, units: units) { return .number(n) }
            if let n = UInt64(s) { return .number(n) }
            return .string(s)
        case let list as [Any]:
            // A list of flags (`ct state established,related`, `tcp flags syn,ack`): their union.
            var bits: UInt64 = 0
            for case .number(let n) in list.map({ value($0, units: units) }) { bits |= n }
            return .number(bits)
        case let o as [String: Any]:
            if let s = o["set"] {
                let elems = (s as? [Any]) ?? [s]
                return .set(elems.map { value($0, units: units) })
            }
            if let p = o["prefix"] as? [String: Any], let a = (p["addr"] as? String).flatMap({ IPv4Address($0) }), let len = p["len"] as? Int {
                let mask: UInt32 = len == 0 ? 0 : ~UInt32(0) << (32 - len)
                return .range(UInt64(a.value & mask), UInt64(a.value | ~mask))
            }
            if let r = o["range"] as? [Any], r.count == 2, case .number(let lo) = value(r[0], units: units), case .number(let hi) = value(r[1], units: units) {
                return .range(lo, hi)
            }
            if let e = o["elem"] as? [String: Any] { return value(e["val"], units: units) }
            return .string("?")
        default:
            return .string("?")
        }
    }

    static func symbol(_ s: String, units: Units) -> UInt64? {
        switch units {
        case .proto: return ["icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "icmpv6": 58, "sctp": 132][s]
        case .icmpType: return ["echo-reply": 0, "destination-unreachable": 3, "source-quench": 4, "redirect": 5, "echo-request": 8,
                                "router-advertisement": 9, "router-solicitation": 10, "time-exceeded": 11, "parameter-problem": 12,
                                "timestamp-request": 13, "timestamp-reply": 14][s]
        case .tcpFlags: return ["fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20, "ecn": 0x40, "cwr": 0x80][s]
        // NF_CT_STATE_BIT(ctinfo) = 1 << (ctinfo + 1); invalid is bit 0, untracked bit 6.
        case .ctState: return ["invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64][s]
        case .ctStatus: return ["expected": 1, "seen-reply": 2, "assured": 4, "confirmed": 8, "snat": 16, "dnat": 32, "dying": 512][s]
        case .nfproto: return ["ipv4": 2, "ipv6": 10, "arp": 3, "bridge": 7][s]
        case .etherType: return ["ip": 0x0800, "arp": 0x0806, "ip6": 0x86dd, "vlan": 0x8100][s]
        case .pktType: return ["host": 0, "broadcast": 1, "multicast": 2, "other": 3][s]
        case .port: return ["ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "http": 80, "https": 443, "ntp": 123][s]
        default: return nil
        }
    }

    static let icmpCodes: [String: UInt8] = [
        "net-unreachable": 0, "host-unreachable": 1, "prot-unreachable": 2, "port-unreachable": 3,
        "net-prohibited": 9, "host-prohibited": 10, "admin-prohibited": 13,
    ]
    /// nft_reject_icmp_code: the family-neutral codes, for IPv4.
    static let icmpxCodes: [String: UInt8] = ["no-route": 0, "host-unreachable": 1, "port-unreachable": 3, "admin-prohibited": 13]

    /// A value as nft prints it.
    static func text(_ v: Any?) -> String {
        switch v {
        case let n as Int: return String(n)
        case let s as String: return s.contains(" ") ? "\"\(s)\"" : (s.allSatisfy { $0.isLetter || $0.isNumber || "-_.@/:".contains($0) } && Int(s) == nil && IPv4Address(s) == nil && !s.hasPrefix("@") && !isSymbolic(s) ? "\"\(s)\"" : s)
        case let list as [Any]: return list.map { text($0) }.joined(separator: ",")
        case let o as [String: Any]:
            if let s = o["set"] { return "{ " + ((s as? [Any]) ?? [s]).map { text($0) }.joined(separator: ", ") + " }" }
            if let p = o["prefix"] as? [String: Any] { return "\(p["addr"] as? String ?? "?")/\(p["len"] as? Int ?? 0)" }
            if let r = o["range"] as? [Any], r.count == 2 { return "\(text(r[0]))-\(text(r[1]))" }
            return "?"
        default: return "?"
        }
    }

    /// Symbolic constants print bare; interface names print quoted.
    static func isSymbolic(_ s: String) -> Bool {
        [Units.proto, .icmpType, .tcpFlags, .ctState, .ctStatus, .nfproto, .etherType, .pktType].contains { symbol(s, units: $0) != nil }
    }
}

public struct RulesetError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}
