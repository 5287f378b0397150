// gdb's `bt` for the model's stacks, where the profile's build is at hand with its debug info
// (6.1: Debian's build, read by Fixtures/scripts/kfunc-gdb-frames.py into KFunc+GDBBreaks.swift and KFunc+GDBCallSites.swift).
// The model's stacks hold the machine frames a kernel stack trace shows; gdb shows more: the
// functions inlined at each call (dst_input, NF_HOOK, neigh_hh_output …) and, where the DWARF
// call-site records leave one way, the frames of tail calls (udp_rcv's jump to __udp4_lib_rcv).
// Each frame's line is gdb's: a call's, or for the innermost the breakpoint's.

/// One line of gdb's `bt`.
public struct GDBFrame: Equatable, Sendable {
    public let function: String
    public let file: String
    /// nil where the build's tables have no call from the next frame to this one.
    public let line: Int?
}

extension KernelSource {
    /// gdb's frames for `stack` (machine frames, innermost first), or nil for a kernel whose build
    /// was not read. `path` (the functions the frame entered, in order) picks between a caller's
    /// several calls of the same callee: the call whose inlined frames the path entered, with
    /// the fewest it did not; of those, in a list receive function the call after its loop (a
    /// frame is alone in its batch, and the final sublist is dispatched there), elsewhere the
    /// first below (by line) the caller's calls of what the path entered before the callee
    /// (__udp4_lib_rcv calls udp_unicast_rcv_skb for a stolen socket, and after
    /// __udp4_lib_lookup), else the first in the code.
    public static func gdbBacktrace(_ stack: [String], kernel: KernelVersion, path: [String]) -> [GDBFrame]? {
        guard kernel == .v6_1, let first = stack.first else { return nil }
        let entered = Set(path)
        var out: [GDBFrame] = []
        if let b = gdbBreak6_1[first] { out.append(GDBFrame(function: first, file: b.file, line: b.line)) }
        else { out.append(GDBFrame(function: first, file: file(of: first, kernel: kernel), line: nil)) }
        for i in stack.indices.dropFirst() {
            let (caller, callee) = (stack[i], stack[i - 1])
            guard let sites = gdbSites6_1["\(caller) \(callee)"] ?? gdbSites6_1["\(caller) *"], !sites.isEmpty else {
                out.append(GDBFrame(function: caller, file: file(of: caller, kernel: kernel), line: nil))
                continue
            }
            out += choose(sites, caller: caller, callee: callee, path: path, entered: entered)
        }
        return out
    }

    /// The generated table, parsed once: "CALLER CALLEE" → each call site's frames.
    static let gdbSites6_1: [String: [[GDBFrame]]] = gdbCallSites6_1.mapValues { $0.map { $0.map(parse) } }

    private static func choose(_ sites: [[GDBFrame]], caller: String, callee: String, path: [String], entered: Set<String>) -> [GDBFrame] {
        guard sites.count > 1 else { return sites[0] }
        let best = sites.map { score($0, entered) }.max() ?? 0
        var fit = sites.filter { score($0, entered) == best }
        let taken = fit.filter { $0.contains { takenCalls6_1.contains("\($0.function) \($0.file):\($0.line ?? 0)") } }
        if !taken.isEmpty { fit = taken }
        guard fit.count > 1 else { return fit[0] }
        // The caller's line for each call: the last frame of a site.
        func line(_ site: [GDBFrame]) -> Int { site.last?.line ?? 0 }
        if listDispatchers.contains(caller) {
            // The last in the code: ordered by the caller's line, then the inlined frames' outward in.
            func key(_ site: [GDBFrame]) -> [Int] { site.reversed().map { $0.line ?? 0 } }
            return fit.max { key($0).lexicographicallyPrecedes(key($1)) } ?? fit[0]
        }
        let before = path.prefix { $0 != callee }
        guard let after = before.compactMap({ gdbSites6_1["\(caller) \($0)"]?.map(line).min() }).max() else { return fit[0] }
        return fit.filter { line($0) > after }.min { line($0) < line($1) } ?? fit[0]
    }

    /// Every function gdb shows in the 6.1 build's frames (the modelled ones and the helpers
    /// inlined at their calls: do_syscall_x64, invoke_softirq …).
    public static let gdbFunctions6_1: Set<String> = Set(gdbSites6_1.values.joined().joined().map(\.function)).union(gdbBreak6_1.keys)

    /// Calls in inlined code that the model's device takes where the same function calls the
    /// same callee elsewhere too, with the same frames: virtio_net's mergeable receive buffers
    /// (virtnet_receive's first loop, not the one for small or big buffers).
    static let takenCalls6_1: Set<String> = [
        "virtnet_receive drivers/net/virtio_net.c:1596",
    ]

    /// The list receive functions: each walks its list and hands a sublist on when the next skb
    /// differs (protocol, dst), and the final sublist after the loop.
    static let listDispatchers: Set<String> = [
        "netif_receive_skb_list_internal", "__netif_receive_skb_list_core", "ip_list_rcv", "ip_sublist_rcv",
        "ipv6_list_rcv", "ip6_sublist_rcv",
    ]

    /// How well a call site's frames (its last is the caller's own) fit the path: one for each
    /// frame the path entered, less one for each it did not. `max` keeps the first of equals.
    private static func score(_ site: [GDBFrame], _ entered: Set<String>) -> Int {
        site.dropLast().reduce(0) { s, f in s + (entered.contains(f.function) ? 1 : -1) }
    }

    /// "function file:line".
    private static func parse(_ s: String) -> GDBFrame {
        let space = s.firstIndex(of: " ") ?? s.endIndex
        let rest = space == s.endIndex ? s[space...] : s[s.index(after: space)...]
        let colon = rest.lastIndex(of: ":")
        let file = colon.map { String(rest[..<$0]) } ?? String(rest)
        let line = colon.flatMap { Int(rest[rest.index(after: $0)...]) }
        return GDBFrame(function: String(s[..<space]), file: file, line: line)
    }
}
