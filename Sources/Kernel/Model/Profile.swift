// Kernel and driver profiles: which functions exist, where they live, and which the compiler
// inlined — so a backtrace lists exactly the frames a real stack would.

import HostModel
import Synchronization

public enum KernelVersion: String, Sendable, CaseIterable {
    case v6_18 = "6.18"
    case v5_4 = "5.4"
}

public enum DriverKind: String, Sendable, CaseIterable {
    case e1000, veth
}

/// How a backtrace is taken: gdb shows inlined functions as frames of their own; the kernel's
/// own stack traces (`stacktrace` triggers) do not. Neither shows a function that left through a
/// tail call.
public enum BacktraceStyle: Sendable {
    case gdb, kernelStack
}

public struct Profile: Sendable {
    public var kernel: KernelVersion
    public var driver: DriverKind
    /// True when the user named the driver (`--driver`): it then wins over a snapshot's drivers.
    public var driverIsExplicit: Bool
    public init(kernel: KernelVersion = .v6_18, driver: DriverKind = .veth, driverIsExplicit: Bool = false) {
        self.kernel = kernel; self.driver = driver; self.driverIsExplicit = driverIsExplicit
    }

    /// 5.4 is the gdb era of the seed notes; 6.18 is checked against this machine's stack traces.
    /// (A 5.4 build's inlining is listed below from its gdb backtraces; gdb shows those frames.)
    public var backtraceStyle: BacktraceStyle { kernel == .v5_4 ? .gdb : .kernelStack }
    /// SKB_DROP_REASON_* arrived in 5.17; 5.4's kfree_skb carries no reason.
    public var hasDropReasons: Bool { kernel != .v5_4 }

    /// True when the compiler inlined `fn` into its caller in this kernel's builds. Some
    /// functions are inlined only into callers in their own file (`caller`, when known).
    public func isInlined(_ fn: String, into caller: String? = nil) -> Bool {
        switch kernel {
        case .v6_18: Self.inlined6_18.contains(fn) || caller.map { Self.inlinedInto6_18[$0]?.contains(fn) == true } == true
        case .v5_4: Self.inlined5_4.contains(fn)
        }
    }

    /// The same, by function id: a lookup in a table made once per kernel version.
    public func isInlined(_ fn: KFunc, into caller: KFunc? = nil) -> Bool {
        let i = Int(fn.id)
        let table = kernel == .v5_4 ? Self.inlinedIDs5_4 : Self.inlinedIDs6_18
        guard i < table.count else { return isInlined(fn.name, into: caller?.name) }   // a name given at run time
        if table[i] { return true }
        guard kernel == .v6_18, let caller else { return false }
        return Self.inlinedIntoIDs6_18.contains { $0.caller == caller && $0.callee == fn }
    }
    static let inlinedIDs6_18: [Bool] = KFunc.names.map { inlined6_18.contains($0) }
    static let inlinedIDs5_4: [Bool] = KFunc.names.map { inlined5_4.contains($0) }
    static let inlinedIntoIDs6_18: [(caller: KFunc, callee: KFunc)] = inlinedInto6_18.flatMap { caller, callees in
        callees.map { (KFunc(named: caller), KFunc(named: $0)) }
    }

    /// Inlined only at these call sites in 6.18 (callee inlined into caller, same file): the
    /// stack of an ICMP reply shows ip_output ← ip_push_pending_frames, while a UDP send shows
    /// ip_output ← ip_send_skb ← udp_send_skb.
    static let inlinedInto6_18: [String: Set<String>] = [
        "ip_push_pending_frames": ["ip_send_skb"],
        // A send LOCAL_OUT drops shows __ip_local_out right under ip_send_skb.
        "ip_send_skb": ["ip_local_out"],
    ]

    /// Inlined in 6.18 x86_64 builds, as its stack traces show (Fixtures/rx/*.kernel.jsonl):
    /// ip_rcv_finish and ip_local_deliver never appear although they run.
    static let inlined6_18: Set<String> = [
        "ip_rcv_finish", "NF_HOOK", "nf_hook", "dst_input", "dst_output", "ip6_rcv_finish", "ip6_pkt_drop", "ip6_frag_queue",
        "__netif_receive_skb", "neigh_output", "neigh_hh_output",
        "ip_finish_output", "skb_dst_drop", "icmp_reply",
        "dev_queue_xmit", "__dev_xmit_skb", "neigh_event_send", "arp_send_dst", "arp_xmit_finish", "ip_fragment",
        "ip_queue_xmit", "tcp_push", "tcp_transmit_skb", "raw_send_hdrinc", "ip_make_skb", "__ip_make_skb",
        "sock_sendmsg_nosec", "__sock_sendmsg", "__se_sys_sendto", "__do_sys_sendto", "__se_sys_sendmsg",
        "__do_sys_sendmsg", "__se_sys_sendmmsg", "__do_sys_sendmmsg", "__se_sys_connect", "__do_sys_connect",
        "__se_sys_shutdown", "__do_sys_shutdown", "NF_HOOK_COND", "ip_route_output_key", "__ip_route_output_key",
        "deliver_skb", "veth_forward_skb", "__dev_forward_skb", "netif_rx_internal", "enqueue_to_backlog",
        "napi_skb_finish", "e1000_receive_skb", "napi_poll", "__udp4_lib_mcast_deliver",
        "udp_queue_rcv_skb", "__udp_queue_rcv_skb", "__udpv6_queue_rcv_skb", "ip_rcv_options", "ip_options_compile", "ip_find", "ip_frag_queue",
    ]
    /// Inlined in 5.4 builds, as the seed notes' gdb backtraces show (frames without an address
    /// of their own: napi_skb_finish, e1000_receive_skb, napi_poll, NF_HOOK_COND, neigh_output).
    static let inlined5_4: Set<String> = [
        "napi_skb_finish", "e1000_receive_skb", "napi_poll", "NF_HOOK", "NF_HOOK_COND", "nf_hook", "dst_input",
        "dst_output", "ip_rcv_finish", "neigh_output", "neigh_hh_output",
        "deliver_skb", "icmp_reply", "skb_dst_drop",
        "sock_sendmsg_nosec", "__se_sys_sendto", "__do_sys_sendto", "__se_sys_sendmsg", "__do_sys_sendmsg",
        "__se_sys_sendmmsg", "__do_sys_sendmmsg", "__se_sys_connect", "__do_sys_connect", "__se_sys_shutdown",
        "__do_sys_shutdown", "neigh_event_send", "ip_queue_xmit", "tcp_push",
    ]
}

/// Where each modelled function is defined in the kernel tree (for `path[].file` and backtraces).
/// The 6.18 profile's files and lines are those of the nearest tree at hand, Debian's 6.12
/// (KFunc+Source.swift, written from it by Fixtures/scripts/kfunc-sources.py and checked against
/// it by KernelSourceTests); 5.4's, where 5.4 kept a function elsewhere, are listed below, and
/// otherwise those of the 6.1 tree, without lines (no 5.4 tree is at hand).
public enum KernelSource {
    public static func file(of fn: String, kernel: KernelVersion = .v6_18) -> String {
        location(of: fn, kernel: kernel)?.file ?? ""
    }

    /// File and, where the tree was at hand, line of `fn`'s definition; nil for a name the
    /// tables do not have (none of the model's: a test holds every KFunc to them).
    public static func location(of fn: String, kernel: KernelVersion = .v6_18) -> (file: String, line: Int?)? {
        switch kernel {
        case .v6_18:
            if let f = files6_18[fn] { return (f, nil) }
            return defined6_12[fn].map { ($0.file, $0.line) }
        case .v5_4:
            if let f = files5_4[fn] { return (f, nil) }
            if let d = defined6_1[fn] ?? defined6_12[fn] { return (d.file, nil) }
            return nil
        }
    }

    /// What moved between 6.12 and 6.18, read in the public tree (no 6.18 tree is at hand, so no
    /// line): do_syscall_64 left arch/x86/entry/common.c for syscall_64.c in 6.14.
    static let files6_18: [String: String] = [
        "do_syscall_64": "arch/x86/entry/syscall_64.c",
    ]

    /// Where 5.4 kept what later moved or was written differently: net/core/gro.c was split out
    /// of dev.c in 5.19; ret_from_fork became C (arch/x86/kernel/process.c) in 6.2;
    /// do_syscall_64 moved to syscall_64.c in 6.11; sk_skb_reason_drop (6.11) is 5.4's kfree_skb.
    static let files5_4: [String: String] = [
        "napi_gro_receive": "net/core/dev.c", "napi_skb_finish": "net/core/dev.c", "dev_gro_receive": "net/core/dev.c",
        "do_syscall_64": "arch/x86/entry/common.c", "dev_queue_xmit": "net/core/dev.c",
        "ret_from_fork": "arch/x86/entry/entry_64.S", "sk_skb_reason_drop": "net/core/skbuff.c",
    ]
}
