// Reading `iptables-save` output into the same Ruleset nftables fills: each `*table` becomes an
// `ip` table of that name, its built-in chains base chains on their hooks at the priorities
// iptables registers them (raw −300, mangle −150, nat −100 / 100, filter 0), user chains regular
// ones; each `-A` line one rule, shown as iptables-save wrote it. No library parses iptables-save
// for Swift; the format is line-based and small enough to read here.
import Wire

extension Ruleset {
    /// The tables iptables-save says it cannot show ("# Table `nat' contains incompatible
    /// base-chains, use 'nft' tool to list them.": an nft table of that name, with chains of its
    /// own); it prints empty built-in chains in their place.
    public static func incompatibleTables(iptablesSave text: String) -> Set<String> {
        Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("# Table `"), line.contains("incompatible") else { return nil }
            let name = line.dropFirst(9).prefix { $0 != "'" }
            return name.count < line.count - 9 ? String(name) : nil
        })
    }

    public init(iptablesSave text: String) throws(RulesetError) {
        self.init()
        var table: Int? = nil
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line == "COMMIT" { continue }
            if line.hasPrefix("*") {
                tables.append(NFTable(family: .ip, name: String(line.dropFirst())))
                table = tables.count - 1
                continue
            }
            guard let t = table else { throw RulesetError("line \(n + 1): a chain or rule before any *table") }
            if line.hasPrefix(":") {
                // `:INPUT ACCEPT [0:0]`, `:USER - [0:0]`
                let w = line.dropFirst().split(separator: " ").map(String.init)
                guard let name = w.first else { throw RulesetError("line \(n + 1): a chain without a name") }
                var chain = NFChain(name: name)
                if w.count > 1, w[1] != "-", let hook = Self.iptablesHook(name) {
                    chain.base = NFBaseChain(type: tables[t].name == "nat" ? "nat" : "filter", hook: hook,
                                             priority: Self.iptablesPriority(table: tables[t].name, hook: hook), policyDrops: w[1] == "DROP")
                }
                tables[t].chains.append(chain)
                continue
            }
            let words = Self.shellWords(line)
            guard words.count >= 2, words[0] == "-A" || words[0] == "-I" else { throw RulesetError("line \(n + 1): not a rule (`-A CHAIN …`)") }
            guard let c = tables[t].chainIndex(named: words[1]) else { throw RulesetError("line \(n + 1): no chain \(words[1]) in *\(tables[t].name)") }
            let statements = Self.iptablesStatements(Array(words[2...]))
            tables[t].chains[c].rules.append(NFRule(handle: tables[t].chains[c].rules.count + 1, statements: statements, text: line))
        }
    }

    static func iptablesHook(_ chain: String) -> String? {
        ["PREROUTING": "prerouting", "INPUT": "input", "FORWARD": "forward", "OUTPUT": "output", "POSTROUTING": "postrouting"][chain]
    }

    static func iptablesPriority(table: String, hook: String) -> Int {
        switch table {
        case "raw": -300
        case "mangle": -150
        case "nat": hook == "prerouting" || hook == "output" ? -100 : 100
        case "security": 50
        default: 0
        }
    }

    /// The matches and the target of one rule, as statements in order.
    static func iptablesStatements(_ w: [String]) -> [NFStatement] {
        var out: [NFStatement] = []
        var negate = false
        var proto: String? = nil
        var i = 0
        func next() -> String? { i += 1; return i < w.count ? w[i] : nil }
        func match(_ sel: NFSelector, _ v: NFValue, mask: UInt64? = nil) {
            out.append(.match(NFMatch(op: negate ? .ne : .eq, selector: sel, mask: mask, value: v)))
            negate = false
        }
        func ports(_ s: String) -> NFValue {
            let items = s.split(separator: ",").map { p -> NFValue in
                let r = p.split(separator: ":").compactMap { UInt64($0) }
                return r.count == 2 ? .range(r[0], r[1]) : .number(r.first ?? 0)
            }
            return items.count == 1 ? items[0] : .set(items)
        }
        func flags(_ s: String) -> UInt64 {
            s == "ALL" ? 0x3f : s == "NONE" ? 0 : s.split(separator: ",").reduce(0) { $0 | (symbol(String($1).lowercased(), units: .tcpFlags) ?? 0) }
        }
        func unknown(_ what: String) { out.append(.unsupported(what)) }
        while i < w.count {
            let opt = w[i]
            switch opt {
            case "!": negate = true
            case "-s", "--source", "-d", "--destination":
                guard let a = next() else { break }
                let parts = a.split(separator: "/")
                guard let addr = IPv4Address(String(parts[0])) else { unknown("address \(a)"); break }
                let len = parts.count > 1 ? Int(parts[1]) ?? 32 : 32
                let m: UInt32 = len == 0 ? 0 : ~UInt32(0) << (32 - len)
                match(.payload("ip", opt.hasPrefix("-s") || opt == "--source" ? "saddr" : "daddr"),
                      len == 32 ? .number(UInt64(addr.value)) : .range(UInt64(addr.value & m), UInt64(addr.value | ~m)))
            case "-p", "--protocol":
                guard let p = next() else { break }
                proto = p
                match(.meta("l4proto"), .number(symbol(p, units: .proto) ?? UInt64(p) ?? 0))
            case "-i", "--in-interface", "-o", "--out-interface":
                guard let d = next() else { break }
                match(.meta(opt.hasPrefix("-i") || opt == "--in-interface" ? "iifname" : "oifname"), .string(d.hasSuffix("+") ? String(d.dropLast()) + "*" : d))
            case "-m", "--match":
                let m = next() ?? ""
                if !["tcp", "udp", "icmp", "multiport", "conntrack", "state", "mark", "comment", "limit"].contains(m) { unknown("-m \(m)") }
            case "--dport", "--destination-port", "--sport", "--source-port", "--dports", "--sports":
                guard let p = next() else { break }
                let field = opt.contains("d") && !opt.contains("source") ? "dport" : "sport"
                match(.payload(proto == "udp" ? "udp" : proto == "tcp" ? "tcp" : "th", field), ports(p))
            case "--icmp-type":
                guard let t = next() else { break }
                let v = symbol(t, units: .icmpType) ?? UInt64(t.split(separator: "/").first ?? "") ?? 0
                match(.payload("icmp", "type"), .number(v))
            case "--tcp-flags":
                guard let mask = next(), let comp = next() else { break }
                match(.payload("tcp", "flags"), .number(flags(comp)), mask: flags(mask))
            case "--syn":
                match(.payload("tcp", "flags"), .number(0x02), mask: 0x17)
            case "--ctstate", "--state":
                guard let s = next() else { break }
                let bits = s.split(separator: ",").reduce(UInt64(0)) { $0 | (symbol(String($1).lowercased(), units: .ctState) ?? 0) }
                out.append(.match(NFMatch(op: .flags, selector: .ct("state"), mask: nil, value: .number(bits))))
                if negate { unknown("! --ctstate"); negate = false }
            case "--mark":
                guard let v = next() else { break }
                let p = v.split(separator: "/").compactMap { UInt64($0.hasPrefix("0x") ? String($0.dropFirst(2)) : String($0), radix: $0.hasPrefix("0x") ? 16 : 10) }
                match(.meta("mark"), .number(p.first ?? 0), mask: p.count > 1 ? p[1] : nil)
            case "--comment":
                _ = next()
            case "--limit", "--limit-burst":
                _ = next()
                out.append(.limit)
            case "-j", "--jump", "-g", "--goto":
                let target = next() ?? ""
                var opts: [String: String] = [:]
                while i + 1 < w.count, w[i + 1].hasPrefix("--") {
                    let k = w[i + 1]
                    i += 1
                    if i + 1 < w.count, !w[i + 1].hasPrefix("--") { opts[k] = w[i + 1]; i += 1 } else { opts[k] = "" }
                }
                out.append(.counter)
                out += Self.iptablesTarget(target, goto: opt == "-g" || opt == "--goto", opts: opts)
            default:
                unknown(opt)
                // Its argument, if it takes one, goes with it.
                if i + 1 < w.count, !w[i + 1].hasPrefix("-"), w[i + 1] != "!" { i += 1 }
            }
            i += 1
        }
        return out
    }

    static func iptablesTarget(_ t: String, goto: Bool, opts: [String: String]) -> [NFStatement] {
        func hostPort(_ s: String?) -> (IPv4Address?, UInt16?) {
            guard let s else { return (nil, nil) }
            let p = s.split(separator: ":", omittingEmptySubsequences: false)
            return (p.first.flatMap { IPv4Address(String($0)) }, p.count > 1 ? UInt16(p[1].split(separator: "-")[0]) : nil)
        }
        switch t {
        case "ACCEPT": return [.verdict(.accept)]
        case "DROP": return [.verdict(.drop)]
        case "RETURN": return [.verdict(.return)]
        case "LOG": return [.log]
        case "REJECT":
            let with = opts["--reject-with"] ?? "icmp-port-unreachable"
            if with == "tcp-reset" { return [.reject(.tcpReset)] }
            let codes: [String: UInt8] = ["icmp-net-unreachable": 0, "icmp-host-unreachable": 1, "icmp-proto-unreachable": 2,
                                          "icmp-port-unreachable": 3, "icmp-net-prohibited": 9, "icmp-host-prohibited": 10, "icmp-admin-prohibited": 13]
            return [.reject(.icmp(code: codes[with] ?? 3))]
        case "MARK":
            let v = (opts["--set-mark"] ?? opts["--set-xmark"] ?? "0").split(separator: "/")[0]
            return [.setMark(UInt32(v.hasPrefix("0x") ? String(v.dropFirst(2)) : String(v), radix: v.hasPrefix("0x") ? 16 : 10) ?? 0)]
        case "DNAT":
            let (a, p) = hostPort(opts["--to-destination"])
            return [.nat(NFNat(kind: .dnat, address: a, port: p)), .verdict(.accept)]
        case "SNAT":
            let (a, p) = hostPort(opts["--to-source"])
            return [.nat(NFNat(kind: .snat, address: a, port: p)), .verdict(.accept)]
        case "MASQUERADE": return [.nat(NFNat(kind: .masquerade, address: nil, port: nil)), .verdict(.accept)]
        case "REDIRECT":
            return [.nat(NFNat(kind: .redirect, address: nil, port: opts["--to-ports"].flatMap { UInt16($0.split(separator: "-")[0]) })), .verdict(.accept)]
        case "NOTRACK", "CT": return [.notrack]
        default:
            // Targets of iptables' own that are not modelled; any other name is a user chain.
            if ["TPROXY", "TCPMSS", "CONNMARK", "NFQUEUE", "TRACE", "NETMAP", "CLASSIFY", "DSCP", "TOS"].contains(t) {
                return [.unsupported("-j \(t)")]
            }
            return [.verdict(goto ? .goto(t) : .jump(t))]
        }
    }

    /// iptables-save quotes comments with "…"; everything else is split on spaces.
    static func shellWords(_ line: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        for ch in line {
            if ch == "\"" { quoted.toggle(); continue }
            if ch == " " && !quoted { if !cur.isEmpty { out.append(cur); cur = "" } } else { cur.append(ch) }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}
