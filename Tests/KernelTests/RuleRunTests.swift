// A long run of `FIELD == CONSTANT VERDICT` rules is looked up by constant instead of walked
// (NFTRuleRuns). The rule that ends the walk, its verdict and the chains reported must be the
// ones the rule-by-rule walk gives: the first rule whose constant matches, even when a later
// rule repeats the constant; nothing when the field is absent (NFT_BREAK on every rule).
import Testing
import Wire
@testable import Kernel
@testable import HostModel

@Suite struct RuleRunTests {
    /// input: 20 `tcp dport 20000+i` rules (accept, but 20003 drop; 20007 repeated later with
    /// drop), one `udp dport 53 accept`, then `tcp dport 20010 drop` again after the run; policy drop.
    static func host() throws -> Host {
        var rules: [String] = []
        var handle = 10
        func rule(_ expr: String) { rules.append(#"{"rule":{"family":"inet","table":"t","chain":"input","handle":\#(handle),"expr":[\#(expr)]}}"#); handle += 1 }
        func dport(_ proto: String, _ port: Int) -> String { #"{"match":{"op":"==","left":{"payload":{"protocol":"\#(proto)","field":"dport"}},"right":\#(port)}}"# }
        for i in 0..<20 { rule(dport("tcp", 20000 + i) + (i == 5 ? #",{"counter":{"packets":0,"bytes":0}}"# : "") + (i == 3 ? #",{"drop":null}"# : #",{"accept":null}"#)) }
        rule(dport("tcp", 20007) + #",{"drop":null}"#)
        rule(dport("udp", 53) + #",{"accept":null}"#)
        rule(dport("tcp", 20010) + #",{"drop":null}"#)
        let json = #"{"nftables":[{"table":{"family":"inet","name":"t","handle":1}},"#
            + #"{"chain":{"family":"inet","table":"t","name":"input","handle":2,"type":"filter","hook":"input","prio":0,"policy":"drop"}},"#
            + rules.joined(separator: ",") + "]}"
        var host = Host.defaultHost
        host.ruleset = try Ruleset(nftJSON: json)
        return host
    }

    func chains(_ kernel: Kernel, _ host: Host, proto: IPProtocol, port: UInt16) -> [ChainPass] {
        let me = IPv4Address(192, 168, 1, 10), src = IPv4Address(10, 0, 0, 1)
        let ip = IPv4Header(source: src, destination: me, protocol: proto)
        let l4 = proto == .tcp
            ? TCPHeader(sourcePort: 40000, destinationPort: port, sequenceNumber: 1, flags: .syn).emit(payload: [], pseudoHeader: ip.pseudoHeaderSum)
            : UDPHeader(sourcePort: 40000, destinationPort: port).emit(payload: [1], pseudoHeader: ip.pseudoHeaderSum)
        let eth = EthernetHeader(destination: host.interface(named: "eth0")!.mac!, source: MACAddress(0x52, 0x54, 0, 0, 0, 1), etherType: .ipv4)
        let r = kernel.receive(frame: eth.emit(payload: ip.emit(payload: l4)), linkType: .ethernet, iface: host.interface(named: "eth0")!)
        return r.netfilter.first { $0.hook == "LOCAL_IN" }?.chains ?? []
    }

    @Test func theRunIsIndexedAndEndsWhereTheWalkWould() throws {
        let host = try Self.host()
        let kernel = Kernel(host: host, profile: Profile())
        let runs = NFTRuleRuns(host.ruleset.tables[0].chains[0].rules)
        #expect(runs.starting(at: 0)?.end == 21)                  // 20 + the repeated 20007
        #expect(runs.starting(at: 1) == nil)

        func ended(_ proto: IPProtocol, _ port: UInt16) -> String {
            chains(kernel, host, proto: proto, port: port).map { "\($0.handle.map(String.init) ?? "-") \($0.verdict)" }.joined(separator: "; ")
        }
        #expect(ended(.tcp, 20000) == "10 accept")
        #expect(ended(.tcp, 20003) == "13 drop")
        #expect(ended(.tcp, 20005) == "15 accept")                // the rule with a counter is in the run
        #expect(ended(.tcp, 20007) == "17 accept")                // the first of the two rules for 20007
        #expect(ended(.tcp, 20019) == "29 accept")
        #expect(ended(.tcp, 20020) == "- policy drop")            // no rule: past the run, then the rest
        #expect(ended(.udp, 53) == "31 accept")                   // tcp dport breaks on UDP: the run is skipped
        #expect(ended(.udp, 20000) == "- policy drop")
    }
}
