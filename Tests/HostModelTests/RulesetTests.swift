// The nftables ruleset as `nft -j list ruleset` gives it (Fixtures/hosts/netns-h-nft-filter,
// written by the real nft), read into typed chains, sets and rules.
import Foundation
import Testing
import TestSupport
import Wire
@testable import HostModel

@Suite struct RulesetTests {
    let dir = "\(packageRoot)/Fixtures/hosts/netns-h-nft-filter"

    func ruleset() throws -> Ruleset {
        try Ruleset(nftJSON: String(contentsOfFile: "\(dir)/nft.json", encoding: .utf8))
    }

    @Test func tablesChainsAndSets() throws {
        let r = try ruleset()
        #expect(r.tables.map { "\($0.family.rawValue) \($0.name)" } == ["inet filter", "ip raw"])
        let filter = r.tables[0]
        #expect(filter.chains.map(\.name) == ["icmp_in", "input", "forward"])
        #expect(filter.chains[0].base == nil)
        #expect(filter.chains[1].base == NFBaseChain(type: "filter", hook: "input", priority: 0, policyDrops: false))
        #expect(r.tables[1].chains[0].base?.priority == -300)   // `priority raw`
        // 10.1.0.66 and 10.1.0.96/30, as 32-bit numbers and an inclusive range.
        #expect(filter.sets["blocked"]?.elements == [.number(0x0a01_0042), .range(0x0a01_0060, 0x0a01_0063)])
        #expect(r.unsupported.isEmpty)
    }

    /// Each rule, written back in nft's syntax, is the line `nft list ruleset` printed for it
    /// (counter values aside), for every ruleset fixture.
    @Test(arguments: ["nft-filter", "nft-stateful", "nft-nat"])
    func ruleTextIsNftsOwn(_ name: String) throws {
        let dir = "\(packageRoot)/Fixtures/hosts/netns-h-\(name)"
        let r = try Ruleset(nftJSON: String(contentsOfFile: "\(dir)/nft.json", encoding: .utf8))
        #expect(r.unsupported.isEmpty)
        let listed = try String(contentsOfFile: "\(dir)/nft.txt", encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("table") && !$0.hasPrefix("chain") && !$0.hasPrefix("set") && !$0.hasPrefix("type")
                && !$0.hasPrefix("flags") && !$0.hasPrefix("elements") && $0 != "}" }
            .map { $0.replacingOccurrences(of: " packets 0 bytes 0", with: "") }
        let ours = r.tables.flatMap { $0.chains.flatMap { $0.rules.map(\.text) } }
        #expect(ours.count == ["nft-filter": 12, "nft-stateful": 5, "nft-nat": 4][name])
        #expect(ours == listed)
    }

    @Test func baseChainsInPriorityOrder() throws {
        let r = try ruleset()
        #expect(r.baseChains(family: .ip, hook: "prerouting").map { r[$0].name } == ["pre"])
        #expect(r.baseChains(family: .ip, hook: "input").map { r[$0].name } == ["input"])
        #expect(r.baseChains(family: .arp, hook: "input").isEmpty)
    }

    @Test func unknownExpressionsAreNamedNotFatal() throws {
        let json = #"{"nftables":[{"table":{"family":"inet","name":"t","handle":1}},"#
            + #"{"chain":{"family":"inet","table":"t","name":"c","handle":1,"type":"filter","hook":"input","prio":0,"policy":"drop"}},"#
            + #"{"rule":{"family":"inet","table":"t","chain":"c","handle":2,"expr":[{"match":{"op":"==","left":{"fib":{"result":"type","flags":["daddr"]}},"right":"local"}},{"accept":null}]}},"#
            + #"{"rule":{"family":"inet","table":"t","chain":"c","handle":3,"expr":[{"xt":{"type":"match","name":"conntrack"}},{"accept":null}]}}]}"#
        let r = try Ruleset(nftJSON: json)
        #expect(r.unsupported == ["match on fib", "xt"])
        #expect(r.tables[0].chains[0].base?.policyDrops == true)
        #expect(r.tables[0].chains[0].rules.count == 2)
    }

    @Test func notARuleset() {
        #expect(throws: RulesetError.self) { try Ruleset(nftJSON: "[1, 2]") }
        #expect(throws: RulesetError.self) { try Ruleset(nftJSON: #"{"nftables":[{"rule":{"family":"inet","table":"x","chain":"y","expr":[]}}]}"#) }
    }

    @Test func iptablesSave() throws {
        let text = try String(contentsOfFile: "\(packageRoot)/Fixtures/hosts/netns-h-ipt-filter/iptables-save.txt", encoding: .utf8)
        let r = try Ruleset(iptablesSave: text)
        #expect(r.tables.map(\.name) == ["raw", "filter"])
        #expect(r.tables[0].chains[0].base == NFBaseChain(type: "filter", hook: "prerouting", priority: -300, policyDrops: false))
        let input = try #require(r.tables[1].chains.first { $0.name == "INPUT" })
        #expect(input.rules.count == 8)
        #expect(input.rules[0].text == "-A INPUT -s 10.1.0.66/32 -j DROP")
        #expect(input.rules[0].statements == [.match(NFMatch(op: .eq, selector: .payload("ip", "saddr"), mask: nil, value: .number(0x0a01_0042))),
                                              .counter, .verdict(.drop)])
        #expect(input.rules[2].statements.last == .verdict(.jump("icmp_in")))
        #expect(input.rules[4].statements.last == .reject(.tcpReset))
        #expect(input.rules[6].statements.contains(.match(NFMatch(op: .eq, selector: .payload("udp", "dport"), mask: nil, value: .set([.number(7), .number(19)])))))
        #expect(input.rules[7].statements.contains(.match(NFMatch(op: .eq, selector: .payload("tcp", "flags"), mask: 0x02, value: .number(0x02)))))
        #expect(r.unsupported.isEmpty)
    }

    @Test func iptablesSaveUnknownsAndErrors() throws {
        let r = try Ruleset(iptablesSave: "*filter\n:INPUT DROP [0:0]\n-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n")
        #expect(r.tables[0].chains[0].base?.policyDrops == true)
        #expect(r.unsupported == ["-m addrtype", "--dst-type"])
        #expect(r.tables[0].chains[0].rules[1].statements.first == .match(NFMatch(op: .flags, selector: .ct("state"), mask: nil, value: .number(6))))
        #expect(throws: RulesetError.self) { try Ruleset(iptablesSave: "-A INPUT -j DROP\n") }
        #expect(throws: RulesetError.self) { try Ruleset(iptablesSave: "*filter\n-A NOPE -j DROP\n") }
    }

    @Test func setIndexLooksUpSinglesAndIntervals() {
        let index = NFSetIndex([.number(5), .range(10, 20), .range(15, 30), .range(40, 40), .set([.number(100)])])
        #expect(index.count == 4)   // 5 and 100; [10, 30] merged; [40, 40]
        for x: UInt64 in [5, 10, 15, 30, 40, 100] { #expect(index.contains(x), "\(x)") }
        for x: UInt64 in [0, 4, 6, 9, 31, 39, 41, 99, 101] { #expect(!index.contains(x), "\(x)") }
    }

    /// A named set of 100,000 addresses is indexed once; a rule referring to it looks addresses up.
    @Test func aLargeNamedSetIsIndexed() throws {
        let elems = (0..<100_000).map { "\"10.\(200 + ($0 >> 16)).\(($0 >> 8) & 255).\($0 & 255)\"" }.joined(separator: ",")
        let json = #"{"nftables":[{"table":{"family":"inet","name":"t","handle":1}},"#
            + #"{"set":{"family":"inet","name":"big","table":"t","type":"ipv4_addr","handle":2,"elem":["# + elems + "]}},"
            + #"{"chain":{"family":"inet","table":"t","name":"c","handle":3,"type":"filter","hook":"input","prio":0,"policy":"accept"}},"#
            + #"{"rule":{"family":"inet","table":"t","chain":"c","handle":4,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":"@big"}},{"drop":null}]}}]}"#
        let r = try Ruleset(nftJSON: json)
        guard case .match(let m) = r.tables[0].chains[0].rules[0].statements[0], case .lookup(let index) = m.value else {
            Issue.record("the set reference was not resolved to a lookup"); return
        }
        #expect(index.count == 100_000)
        #expect(index.contains(UInt64(IPv4Address(10, 201, 134, 159).value)))   // element 99,999
        #expect(!index.contains(UInt64(IPv4Address(10, 201, 134, 160).value)))
        #expect(r.tables[0].chains[0].rules[0].text == "ip saddr @big drop")
    }
}
