// Where path[].file and backtraces say a function lives: the kernel tree's own answer. The table
// (KFunc+Source6_12.swift, KFunc+Source6_1.swift), one per tree, is written from Debian's linux-source trees by
// Fixtures/scripts/kfunc-sources.py; these tests hold the model to it and it to the trees.
import Foundation
import Testing
@testable import Kernel
import TestSupport

@Suite struct KernelSourceTests {
    @Test func receiveFunctionsOfTheE1000Path() {
        #expect(KernelSource.file(of: "eth_type_trans") == "net/ethernet/eth.c")
        #expect(KernelSource.file(of: "eth_type_trans", kernel: .v5_4) == "net/ethernet/eth.c")
        // GRO moved out of dev.c into net/core/gro.c in 5.19.
        #expect(KernelSource.file(of: "dev_gro_receive") == "net/core/gro.c")
        #expect(KernelSource.file(of: "dev_gro_receive", kernel: .v5_4) == "net/core/dev.c")
        #expect(KernelSource.file(of: "__netif_receive_skb_core") == "net/core/dev.c")
        // Once said to be in net/core/dev.c by a prefix rule.
        #expect(KernelSource.file(of: "nft_do_chain") == "net/netfilter/nf_tables_core.c")
        #expect(KernelSource.file(of: "nft_do_chain_inet") == "net/netfilter/nft_chain_filter.c")
        #expect(KernelSource.file(of: "__fib_validate_source") == "net/ipv4/fib_frontend.c")
        #expect(KernelSource.file(of: "do_syscall_64") == "arch/x86/entry/syscall_64.c")
        #expect(KernelSource.location(of: "ip_rcv")?.line == KernelSource.defined6_12["ip_rcv"]?.line)
    }

    /// Every function the model can enter has a definition in the table, for both profiles.
    @Test func everyModelledFunctionHasALocation() {
        let missing = KFunc.names.filter { KernelSource.location(of: $0) == nil }
        #expect(missing.isEmpty, "not in KFunc+Source6_12.swift (rerun Fixtures/scripts/kfunc-sources.py): \(missing)")
        let missing54 = KFunc.names.filter { KernelSource.location(of: $0, kernel: .v5_4) == nil }
        #expect(missing54.isEmpty, "no 5.4 file: \(missing54)")
        // 6.1 from its own tree, with lines; sk_skb_reason_drop (6.11) is its kfree_skb_reason;
        // virtio_net's virtnet_receive_packets and virtnet_receive_done came later (6.12's tree),
        // and the 6.1 profile never enters them.
        let later = ["sk_skb_reason_drop", "virtnet_receive_packets", "virtnet_receive_done"]
        let missing61 = KFunc.names.filter { KernelSource.location(of: $0, kernel: .v6_1) == nil && !later.contains($0) }
        #expect(missing61.isEmpty, "no 6.1 definition: \(missing61)")
        #expect(KernelSource.location(of: "ip_list_rcv", kernel: .v6_1)?.line == KernelSource.defined6_1["ip_list_rcv"]?.line)
    }

    /// Every function a golden output puts in path[] or a backtrace (including names made at run
    /// time, like the system call wrappers, and the softirq context frames) is one the table has.
    @Test func everyFunctionInTheGoldensHasALocation() throws {
        let dir = packageRoot + "/Fixtures/golden"
        var seen = Set<String>()
        for f in try FileManager.default.contentsOfDirectory(atPath: dir) where f.hasSuffix(".out") {
            let text = try String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8)
            for m in text.matches(of: /"fn":"([^"]+)"/) { seen.insert(String(m.1)) }
            // --format bt: `#3  process_backlog (…) at net/core/dev.c:6279`, with the stack's context frames.
            for m in text.matches(of: /\n#\d+ +([A-Za-z_0-9.]+) \(…\)/) { seen.insert(String(m.1)) }
        }
        #expect(seen.count > 100, "the goldens' paths name \(seen.count) functions")
        // (6.1's interrupt-exit context frames are 6.1's alone; its gdb-style backtraces also show
        // the helpers inlined at each call, as read from its build with gdb.)
        let missing = seen.filter { KernelSource.location(of: $0) == nil && KernelSource.location(of: $0, kernel: .v6_1) == nil
            && !KernelSource.gdbFunctions6_1.contains($0) }.sorted()
        #expect(missing.isEmpty, "in a golden's path[] but not in KFunc+Source6_12.swift: \(missing)")
    }

    /// Each recorded definition is where the table says, in the tree it was read from: the file
    /// exists and, when the tree is the same release, the line defines the name (else the file
    /// defines it somewhere). Skips, saying so, when the tree is not installed (`make kernel-source`).
    @Test(arguments: [("6.12", "/usr/src/linux-source-6.12"), ("6.1", "/usr/src/linux-source-6.1")])
    func definitionsAreWhereTheTableSays(version: String, tree: String) throws {
        let table = version == "6.12" ? KernelSource.defined6_12 : KernelSource.defined6_1
        let release = version == "6.12" ? KernelSource.release6_12 : KernelSource.release6_1
        guard FileManager.default.fileExists(atPath: tree + "/net/ipv4/ip_input.c") else {
            print("KernelSourceTests: skipped \(version): no kernel tree at \(tree) (make kernel-source puts one there)")
            return
        }
        let makefile = (try? String(contentsOfFile: tree + "/Makefile", encoding: .utf8)) ?? ""
        let treeRelease = ["VERSION", "PATCHLEVEL", "SUBLEVEL"].compactMap { key in
            makefile.split(separator: "\n").first { $0.hasPrefix("\(key) = ") }.map { String($0.dropFirst(key.count + 3)) }
        }.joined(separator: ".")
        let sameRelease = treeRelease == release
        if !sameRelease { print("KernelSourceTests: \(tree) is \(treeRelease), the table \(release): checking files, not lines") }
        var cache: [String: [Substring]] = [:]
        var wrong: [String] = []
        for (name, at) in table {
            if cache[at.file] == nil {
                cache[at.file] = (try? String(contentsOfFile: "\(tree)/\(at.file)", encoding: .utf8))?
                    .split(separator: "\n", omittingEmptySubsequences: false) ?? []
            }
            let lines = cache[at.file]!
            if sameRelease {
                guard at.line >= 1, at.line <= lines.count, Self.defines(lines[at.line - 1], name) else {
                    wrong.append("\(name) at \(at.file):\(at.line)"); continue
                }
            } else if !lines.contains(where: { Self.defines($0, name) }) {
                wrong.append("\(name) not in \(at.file)")
            }
        }
        #expect(wrong.isEmpty, "Linux \(version): \(wrong.sorted())")
    }

    /// True when `line` opens the definition of `name`: the name and its parameters, a
    /// SYSCALL_DEFINEn for the wrappers it generates, or an assembly symbol.
    static func defines(_ line: Substring, _ name: String) -> Bool {
        if line.contains("\(name)(") && !line.hasPrefix("#") && !line.hasSuffix(";") { return true }
        for prefix in ["__x64_sys_", "__se_sys_", "__do_sys_"] where name.hasPrefix(prefix) {
            return line.contains("SYSCALL_DEFINE") && line.contains("(\(name.dropFirst(prefix.count)),")
        }
        return line.hasPrefix("SYM_") && line.contains("(\(name)")
    }
}
