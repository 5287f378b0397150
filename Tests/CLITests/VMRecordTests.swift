// The 6.1 profile against the recorded answers of a real 6.1 kernel: each Fixtures/vm/recorded/NAME
// holds what `make oracle-vm` saw Debian's 6.1 guest do with Fixtures/rx/NAME.pcap (its console:
// kfree_skb with stacks, the counters before and after each frame, the function_graph record of
// each frame's softirq; the frames it sent, from its taps; when each frame went in), gzipped.
// Fixtures/vm/compare.py sets `tracer explain --kernel 6.1 --driver e1000` beside them, field by
// field, as oracle-vm does after a boot: no VM is needed here, so `make test` keeps the model
// where the 6.1 kernel was. (Rerecord with `make oracle-vm VM_RECORD=1`.)
import Foundation
import Testing
import TestSupport

@Suite struct VMRecordTests {
    static let recorded: [String] = {
        let dir = packageRoot + "/Fixtures/vm/recorded"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }()

    @Test func thereAreRecords() {
        // The issue's cases: UDP delivered and to a closed port, a TCP handshake, forwarding,
        // reassembly, a netfilter drop.
        for name in ["udp-delivered", "udp-closed-port", "tcp-handshake-data-fin", "forward", "frag-out-of-order", "nft-drop"] {
            #expect(Self.recorded.contains(name), "no record of \(name) in Fixtures/vm/recorded")
        }
    }

    @Test(arguments: recorded)
    func agreesWithThe61Guest(name: String) throws {
        let hostFile = packageRoot + "/Fixtures/rx/\(name).host"
        let host = (try? String(contentsOfFile: hostFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "netns-h"
        let r = try run(path: "/usr/bin/env", ["python3", "Fixtures/vm/compare.py", tracerBinary, "Fixtures/rx/\(name).pcap",
                                               "Fixtures/hosts/\(host)", "Fixtures/vm/recorded/\(name)", "--kernel", "6.1", "--driver", "e1000"],
                        directory: packageRoot)
        let disagreements = r.out.split(separator: "\n").filter { !$0.hasPrefix("agree") }
        #expect(r.status == 0, "\(name): \(disagreements.joined(separator: "\n"))\n\(r.err)")
        #expect(r.out.contains(" fields agree"), "\(name): compare.py printed no table")
    }
}
