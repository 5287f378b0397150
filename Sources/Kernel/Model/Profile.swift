// Kernel and driver profiles: which functions exist, where they live, and which the compiler
// inlined — so a backtrace lists exactly the frames a real stack would.

import HostModel
import Synchronization

public enum KernelVersion: String, Sendable, CaseIterable {
    case v6_18 = "6.18"
    /// Debian 12's 6.1 LTS (6.1.192, linux-source-6.1), checked in a qemu guest (make vm-smoke).
    case v6_1 = "6.1"
    case v5_4 = "5.4"
}

public enum DriverKind: String, Sendable, CaseIterable {
    case e1000, veth, virtio_net
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

    /// The reason this kernel reports for a drop the model names by 6.18's reason. Most reasons
    /// came in later releases than 6.1 (the fragment ones in 6.4, IPv6's in 6.3, the route
    /// ones in 6.13); where 6.1 had none, its call site was a plain kfree_skb(), whose reason
    /// is NOT_SPECIFIED (include/linux/skbuff.h).
    public func dropReason(_ reason: String) -> String {
        kernel == .v6_1 && !Self.dropReasons6_1.contains(reason) ? "NOT_SPECIFIED" : reason
    }

    /// What frees a dropped skb at the top of its stack trace (the stacktrace trigger's first
    /// frame below the tracepoint): sk_skb_reason_drop since 6.11, kfree_skb_reason before.
    public var dropEntry: String { kernel == .v6_18 ? "sk_skb_reason_drop" : "kfree_skb_reason" }

    /// IPSTATS_MIB_OUTPKTS (IpOutTransmits) came in 6.3.
    public var hasIpOutTransmits: Bool { kernel == .v6_18 }

    /// Before 6.3 (b4a11b2033b7) ip_output counted every packet it sent, forwarded ones too, as
    /// OutRequests with its OutOctets (IP_UPD_PO_STATS(IPSTATS_MIB_OUT)); __ip_local_out counted
    /// nothing and ip_finish_output2 no octets; ip_forward_finish counted ForwDatagrams and added
    /// the octets once more (the 6.1 guest: 80 OutOctets for a 40-byte packet forwarded).
    public var countsIPOutAtOutput: Bool { kernel != .v6_18 }

    /// Since 5.4 a driver's GRO_NORMAL skbs wait on napi->rx_list (gro_normal_one) and go up
    /// the stack as a list when the poll completes (napi_complete_done → gro_normal_list →
    /// netif_receive_skb_list_internal → ip_list_rcv): the e1000 path of 6.1, as its guest's
    /// stacks show, and of 6.18 (the same code in 6.12's tree). 5.4 keeps the seed notes'
    /// backtrace (netif_receive_skb_internal → ip_rcv).
    public var listifiedGRO: Bool { kernel != .v5_4 }

    /// enum skb_drop_reason in 6.1 (include/net/dropreason.h of linux-source-6.1).
    static let dropReasons6_1: Set<String> = [
        "BPF_CGROUP_EGRESS", "CPU_BACKLOG", "DEV_HDR", "DEV_READY", "FULL_RING", "HDR_TRUNC", "ICMP_CSUM",
        "INVALID_PROTO", "IPV6DISABLED", "IP_CSUM", "IP_INADDRERRORS", "IP_INHDR", "IP_INNOROUTES", "IP_NOPROTO",
        "IP_OUTNOROUTES", "IP_RPFILTER", "NEIGH_CREATEFAIL", "NEIGH_DEAD", "NEIGH_FAILED", "NEIGH_QUEUEFULL",
        "NETFILTER_DROP", "NOMEM", "NOT_SPECIFIED", "NO_SOCKET", "OTHERHOST", "PKT_TOO_BIG", "PKT_TOO_SMALL",
        "PROTO_MEM", "QDISC_DROP", "SKB_CSUM", "SKB_GSO_SEG", "SKB_UCOPY_FAULT", "SOCKET_BACKLOG", "SOCKET_FILTER",
        "SOCKET_RCVBUFF", "TAP_FILTER", "TAP_TXFILTER", "TCP_ACK_UNSENT_DATA", "TCP_CLOSE", "TCP_CSUM",
        "TCP_FASTOPEN", "TCP_FLAGS", "TCP_INVALID_SEQUENCE", "TCP_INVALID_SYN", "TCP_MD5FAILURE", "TCP_MD5NOTFOUND",
        "TCP_MD5UNEXPECTED", "TCP_OFOMERGE", "TCP_OFO_DROP", "TCP_OFO_QUEUE_PRUNE", "TCP_OLD_ACK", "TCP_OLD_DATA",
        "TCP_OVERWINDOW", "TCP_RESET", "TCP_RFC7323_PAWS", "TCP_TOO_OLD_ACK", "TCP_ZEROWINDOW", "TC_CHAIN_NOTFOUND",
        "TC_EGRESS", "TC_INGRESS", "UDP_CSUM", "UNHANDLED_PROTO", "UNICAST_IN_L2_MULTICAST", "XDP", "XFRM_POLICY",
    ]

    /// True when the compiler inlined `fn` into its caller in this kernel's builds. Some
    /// functions are inlined only into callers in their own file (`caller`, when known).
    public func isInlined(_ fn: String, into caller: String? = nil) -> Bool {
        switch kernel {
        case .v6_18: Self.inlined6_18.contains(fn) || caller.map { Self.inlinedInto6_18[$0]?.contains(fn) == true } == true
        case .v6_1: Self.inlined6_1.contains(fn) || caller.map { Self.inlinedInto6_1[$0]?.contains(fn) == true } == true
        case .v5_4: Self.inlined5_4.contains(fn)
        }
    }

    /// For each frame of `stack` (innermost first), whether this kernel's build inlined it: into
    /// every caller, or at a listed call site, whose caller may be further out than the frame
    /// below when the frames between were inlined too (`InlineTable`).
    public func inlinedFrames(_ stack: [String]) -> [Bool] {
        let sites: [String: Set<String>] = switch kernel {
        case .v6_18: Self.inlinedInto6_18
        case .v6_1: Self.inlinedInto6_1
        case .v5_4: [:]
        }
        var flags = [Bool](repeating: false, count: stack.count)
        for i in stack.indices.reversed() {
            if isInlined(stack[i]) { flags[i] = true; continue }
            var j = i + 1
            while j < stack.count {
                if sites[stack[j]]?.contains(stack[i]) == true { flags[i] = true; break }
                if !flags[j] { break }
                j += 1
            }
        }
        return flags
    }

    /// True when `fn` has a body of its own (stacks and gdb show its frame) that the function
    /// tracer cannot see: `inline` is `notrace` in the kernel's compiler_types.h, and a `static
    /// inline` whose address is taken is still compiled as a function. 6.1's udpv6_err (an
    /// err_handler): its guest's function_graph record goes from icmpv6_notify to
    /// __udp6_lib_err, and its vmlinux calls the one from the other (KFunc+GDBCallSites.swift).
    public func isNotrace(_ fn: String) -> Bool {
        kernel == .v6_1 && Self.notrace6_1.contains(fn)
    }
    static let notrace6_1: Set<String> = ["udpv6_err"]

    /// The same, by function id: a lookup in a table made once per kernel version.
    public func isInlined(_ fn: KFunc, into caller: KFunc? = nil) -> Bool {
        inlineTable.contains(fn, into: caller) ?? isInlined(fn.name, into: caller?.name)   // a name given at run time
    }
    /// The tables `isInlined(_:into:)` reads, for a trace to keep (it asks at every modelled call).
    var inlineTable: InlineTable {
        switch kernel {
        case .v5_4: Self.inline5_4
        case .v6_1: Self.inline6_1
        case .v6_18: Self.inline6_18
        }
    }
    static let inline6_18 = InlineTable(everywhere: inlined6_18, at: inlinedInto6_18)
    static let inline6_1 = InlineTable(everywhere: inlined6_1, at: inlinedInto6_1)
    static let inline5_4 = InlineTable(everywhere: inlined5_4, at: [:])

    /// 6.1 inlines the same call sites, and ip_local_out into ip_build_and_send_pkt (the SYN-ACK's
    /// send: the guest's function trace goes from it to __ip_local_out), ip_route_output_key_hash
    /// into ip_route_output_flow, ip6_route_input_lookup into ip6_route_input (the guest's trace
    /// goes from it to fib6_rule_lookup; route.c keeps an exported copy for other callers).
    static let inlinedInto6_1 = inlinedInto6_18.merging([
        "ip_build_and_send_pkt": ["ip_local_out"],
        "ip6_route_input": ["ip6_route_input_lookup"],
        // `static inline`, the okfn NF_HOOK calls once the hook accepts (the out-of-line copy is
        // for nf_reinject): the guest's trace goes from ip6_forward to ip6_output.
        "NF_HOOK": ["ip6_forward_finish"],
        // ip_route_output_flow's (through the header's __ip_route_output_key): its trace goes to
        // ip_route_output_key_hash_rcu. Not icmp_route_lookup's, nor tcp_v4_connect's through
        // ip_route_connect (other files: the guest's trace of a connect enters it).
        "ip_route_output_flow": ["ip_route_output_key_hash"],
    ]) { $0.union($1) }

    /// Inlined only at these call sites in 6.18 (callee inlined into caller, same file): the
    /// stack of an ICMP reply shows ip_output ← ip_push_pending_frames, while a UDP send shows
    /// ip_output ← ip_send_skb ← udp_send_skb.
    static let inlinedInto6_18: [String: Set<String>] = [
        "ip_push_pending_frames": ["ip_send_skb"],
        // A send LOCAL_OUT drops shows __ip_local_out right under ip_send_skb.
        "ip_send_skb": ["ip_local_out"],
    ]

    /// Inlined in 6.18 x86_64 builds, as its stack traces show (Fixtures/rx/*.kernel.jsonl):
    /// ip_rcv_finish and ip_local_deliver never appear although they run. (Not ip_make_skb:
    /// udp_sendmsg calls it across files in a build without LTO, and the 6.1 guest's trace of a
    /// sendto enters it: Fixtures/vm/tx-check.sh.)
    static let inlined6_18: Set<String> = Set<String>([
        "ip_rcv_finish", "NF_HOOK", "nf_hook", "dst_input", "dst_output", "ip6_rcv_finish", "ip6_pkt_drop", "ip6_frag_queue",
        "__netif_receive_skb", "neigh_output", "neigh_hh_output",
        "ip_finish_output", "skb_dst_drop", "icmp_reply",
        "dev_queue_xmit", "__dev_xmit_skb", "neigh_event_send", "arp_send_dst", "arp_xmit_finish", "ip_fragment",
        "ip_queue_xmit", "tcp_push", "tcp_transmit_skb", "raw_send_hdrinc", "__ip_make_skb",
        "sock_sendmsg_nosec", "__sock_sendmsg", "__se_sys_sendto", "__do_sys_sendto", "__se_sys_sendmsg",
        "__do_sys_sendmsg", "__se_sys_sendmmsg", "__do_sys_sendmmsg", "__se_sys_connect", "__do_sys_connect",
        "__se_sys_shutdown", "__do_sys_shutdown", "NF_HOOK_COND", "ip_route_output_key", "__ip_route_output_key",
        "deliver_skb", "veth_forward_skb", "__dev_forward_skb", "netif_rx_internal", "enqueue_to_backlog",
        "napi_skb_finish", "e1000_receive_skb", "napi_poll", "__udp4_lib_mcast_deliver",
        "udp_queue_rcv_skb", "__udp_queue_rcv_skb", "__udpv6_queue_rcv_skb", "ip_rcv_options", "ip_options_compile", "ip_find", "ip_frag_queue",
        "fib_lookup",   // include/net/ip_fib.h's static inline in front of __fib_lookup
        // virtio_net's static helpers with one caller: no symbol in this machine's 6.18 build
        // (kallsyms) nor in Debian 6.1's virtio_net.ko (nm), and its guest's trace goes from
        // virtnet_poll to receive_buf to page_to_skb, and on to napi_complete_done.
        "virtnet_receive", "virtnet_receive_packets", "receive_mergeable", "virtqueue_napi_complete",
    ]).union(inlinedListReceive)
    /// Inlined in Debian's 6.1 build: 6.18's list, less what its guest's function_graph trace
    /// shows entered (a traced function has a body of its own: ip_finish_output, __ip_make_skb,
    /// udp_queue_rcv_skb, icmp_reply, arp_send_dst and ip_options_compile are, in 6.1), plus what it never enters
    /// though the path runs it (ip_mkroute_input, ip_frag_reasm: static, one caller each);
    /// checked by Fixtures/vm/compare.py against the recorded guest runs.
    /// __sock_sendmsg is a function of its own in 6.1 (gdb's bt at __dev_queue_xmit for a sendto:
    /// sock_sendmsg_nosec inlined in it, called from __sys_sendto).
    /// And every modelled function the build has no symbol for (KFunc+Symbols6_1.swift, read from
    /// its vmlinux: icmpv6_rt_has_prefsrc, __ip6_finish_output, ip_route_output_ports …).
    /// ip6_pkt_drop and ip_fragment are functions of their own in 6.1 (its guest's drops and trace
    /// show them), and ip_queue_xmit (TCP's queue_xmit, called through a pointer; its guest's trace
    /// of a connect enters it, and it leaves by a tail call); dst_discard, a header's `static inline` (notrace, as every `inline` is), only
    /// jumps to dst_discard_out; nf_defrag_ipv4's module inlines nf_ct_ipv4_gather_frags.
    /// netif_rx_internal, enqueue_to_backlog and __netif_receive_skb are called, not inlined, in
    /// 6.1's build (its vmlinux's calls, KFunc+GDBCallSites.swift; the guest's trace enters
    /// enqueue_to_backlog from netif_receive_skb_list_internal for a steered packet, and
    /// __netif_receive_skb from process_backlog).
    static let inlined6_1: Set<String> = inlined6_18.subtracting(["ip_finish_output", "__ip_make_skb", "udp_queue_rcv_skb", "icmp_reply", "arp_send_dst", "ip_options_compile", "__sock_sendmsg", "ip6_pkt_drop", "ip_fragment", "ip_queue_xmit",
                                                                   "netif_rx_internal", "enqueue_to_backlog", "__netif_receive_skb"])
        .union(["ip_mkroute_input", "ip_frag_reasm", "dst_discard", "nf_ct_ipv4_gather_frags"]).union(noSymbol6_1)

    /// The list receive path's helpers no stack shows (6.1's guest; 6.12's tree has the same
    /// static and inline functions).
    static let inlinedListReceive: Set<String> = [
        "gro_normal_one", "gro_normal_list", "__netif_receive_skb_list", "__netif_receive_skb_list_ptype",
        "NF_HOOK_LIST", "ip_list_rcv_finish", "ip6_list_rcv_finish",
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
/// (KFunc+Source6_12.swift, written from it by Fixtures/scripts/kfunc-sources.py and checked against
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
        case .v6_1:
            if let f = files6_1[fn] { return (f, nil) }
            if let d = defined6_1[fn] { return (d.file, d.line) }
            return nil
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

    /// 6.1's interrupt entry, below the softirq its e1000 receives run in: frames the trees'
    /// C index does not define (an IDTENTRY macro's; an inline the build kept).
    static let files6_1: [String: String] = [
        "asm_common_interrupt": "arch/x86/include/asm/idtentry.h", "common_interrupt": "arch/x86/kernel/irq.c",
        "__irq_exit_rcu": "kernel/softirq.c",
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

/// Which modelled functions a kernel build inlined, by function id: into every caller, or only at
/// the call sites listed (caller id << 16 | callee id: a handful, scanned without hashing).
/// A call site's caller is the function the call is written in, or one further out that the
/// callers between were themselves inlined into (the machine function the call is compiled in):
/// ip_route_output_flow's call of ip_route_output_key_hash is written in the header's
/// __ip_route_output_key, inlined into it.
struct InlineTable: Sendable {
    let everywhere: [Bool]
    let callSites: [UInt32]
    /// By function id: whether it is a callee at any listed call site.
    let hasSites: [Bool]

    init(everywhere names: Set<String>, at sites: [String: Set<String>]) {
        everywhere = KFunc.names.map { names.contains($0) }
        callSites = sites.flatMap { caller, callees in callees.map { Self.site(KFunc(named: caller), KFunc(named: $0)) } }
        let callees = Set(sites.values.flatMap { $0 })
        hasSites = KFunc.names.map { callees.contains($0) }
    }
    init() { everywhere = []; callSites = []; hasSites = [] }

    static func site(_ caller: KFunc, _ callee: KFunc) -> UInt32 { UInt32(caller.id) << 16 | UInt32(callee.id) }

    /// Inlined into every caller; nil for a function past the table (one named at run time).
    func isEverywhere(_ fn: KFunc) -> Bool? {
        let i = Int(fn.id)
        return i < everywhere.count ? everywhere[i] : nil
    }

    /// Whether some call site lists `fn` (only then do its callers matter).
    func hasCallSites(_ fn: KFunc) -> Bool { Int(fn.id) < hasSites.count && hasSites[Int(fn.id)] }

    func isSite(_ caller: KFunc, _ callee: KFunc) -> Bool {
        let site = Self.site(caller, callee)
        for s in callSites where s == site { return true }
        return false
    }

    /// `fn` called from `caller` (a function not itself inlined): nil past the table.
    func contains(_ fn: KFunc, into caller: KFunc?) -> Bool? {
        guard let e = isEverywhere(fn) else { return nil }
        if e { return true }
        guard let caller, hasCallSites(fn) else { return false }
        return isSite(caller, fn)
    }
}
