// The model's counters under the names `nstat -az` prints on this kernel: a counter spelled any
// other way (IpInNoRoutes for IpExtInNoRoutes) is one nobody can find on a real host, and one
// `tracer verify` can never match.
import Foundation
import Testing
@testable import Kernel
import TestSupport

@Suite struct CounterNameTests {
    /// Fixtures/kernel/nstat-6.18.txt: `nstat -asz`'s names on Linux 6.18 in a fresh namespace.
    static func recorded() throws -> Set<String> {
        let text = try String(contentsOfFile: packageRoot + "/Fixtures/kernel/nstat-6.18.txt", encoding: .utf8)
        return Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
    }

    /// The per-type rows exist only once a type was counted (/proc/net/snmp's IcmpMsg and
    /// snmp6's Icmp6InType<N>), so they are held to the kernel's format, not to the list.
    static func isPerType(_ name: String) -> Bool {
        name.wholeMatch(of: /(IcmpMsgInType|IcmpMsgOutType|Icmp6InType|Icmp6OutType)([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])/) != nil
    }

    @Test func everyCounterIsSpelledAsNstatSpellsIt() throws {
        let nstat = try Self.recorded()
        #expect(nstat.count > 300)
        let all = (0..<SNMPCounter.count).map { SNMPCounter(index: $0).name }
        let wrong = all.filter { !nstat.contains($0) && !Self.isPerType($0) }
        #expect(wrong.isEmpty, "not a name nstat -az prints: \(wrong)")
        #expect(Set(all).count == all.count, "a name twice in the counter table")
    }

    /// The recorded list against this machine's own nstat, where it runs the same kernel line.
    @Test func theRecordedListIsThisKernels() throws {
        var u = utsname(); uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard release.hasPrefix("6.18") else { print("CounterNameTests: skipped the live list: this kernel is \(release), the list 6.18"); return }
        guard let r = run("nstat", ["-asz"]), r.status == 0 else { print("CounterNameTests: skipped the live list: no nstat (iproute2)"); return }
        let live = Set(r.out.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) })
        let missing = try Self.recorded().subtracting(live)
        #expect(missing.isEmpty, "in Fixtures/kernel/nstat-6.18.txt but not in this kernel's nstat -asz: \(missing.sorted())")
    }
}
