// Fixtures/rulesets/ipt-filter.iptables says in iptables what nft-filter.nft says in nftables.
// The model must give every frame of the nft-filter cases the same fate under both: verdict,
// reason, reporting function, the frames the host sends, the counters, and the chain verdicts.
import Foundation
import Testing
import TestSupport
import Capture
@testable import Kernel
@testable import HostModel

@Suite struct IptablesEquivalenceTests {
    static let cases = rxCases.filter { $0.hasPrefix("nft-") && hostFor($0).hasSuffix("netns-h-nft-filter") }.map { String($0.dropFirst(4)) }

    @Test func thereAreCases() { #expect(Self.cases.count == 8) }

    @Test func theIptablesRulesetIsReadWhole() throws {
        let host = try Host.load("\(packageRoot)/Fixtures/hosts/netns-h-ipt-filter")
        #expect(host.ruleset.unsupported == [])
        // iptables' tables replace what nft -j showed of them (xt expressions).
        #expect(host.ruleset.tables.map { "\($0.family.rawValue) \($0.name)" } == ["ip raw", "ip filter"])
        #expect(host.ruleset.tables[1].chains.map(\.name) == ["INPUT", "FORWARD", "OUTPUT", "icmp_in"])
    }

    @Test(arguments: cases)
    func sameFateAsUnderNftables(_ name: String) throws {
        let nft = try outcomes("nft-\(name)", host: "netns-h-nft-filter")
        let ipt = try outcomes("ipt-\(name)", host: "netns-h-ipt-filter")
        #expect(nft.count == ipt.count && !nft.isEmpty)
        for (i, (a, b)) in zip(nft, ipt).enumerated() {
            #expect(a == b, "frame \(i + 1)")
        }
    }

    struct Outcome: Equatable {
        var action: String, reason: String?, function: String
        var emitted: [[UInt8]]
        var counters: [String: Int]
        var verdicts: [String]
    }

    func outcomes(_ capture: String, host name: String) throws -> [Outcome] {
        let host = try Host.load("\(packageRoot)/Fixtures/hosts/\(name)")
        let kernel = Kernel(host: host, profile: Profile())
        let reader = try CaptureReader(path: "\(rxDirectory)/\(capture).pcap")
        var out: [Outcome] = []
        while let frame = try reader.next() {
            let r = kernel.receive(frame: Array(frame.bytes), linkType: .ethernet, iface: host.interface(named: "eth0")!)
            out.append(Outcome(action: r.verdict.action.rawValue, reason: r.verdict.reason, function: r.verdict.function,
                               emitted: r.emitted.map(\.bytes), counters: r.counters.deltas,
                               verdicts: r.netfilter.map { "\($0.hook) \($0.verdict)" }))
        }
        return out
    }
}
