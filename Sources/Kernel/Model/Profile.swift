// Kernel and driver profiles: which functions exist, where they live, and which the compiler
// inlined — so a backtrace lists exactly the frames a real stack would.

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
    public init(kernel: KernelVersion = .v6_18, driver: DriverKind = .veth) { self.kernel = kernel; self.driver = driver }

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
        "napi_skb_finish", "e1000_receive_skb", "napi_poll", "__udp4_lib_mcast_deliver", "udp_unicast_rcv_skb",
        "udp_queue_rcv_skb", "ip_rcv_options", "ip_options_compile", "ip_find", "ip_frag_queue",
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

/// Where each modelled function lives in the kernel tree (for `path[].file` and backtraces).
public enum KernelSource {
    public static func file(of fn: String, kernel: KernelVersion = .v6_18) -> String {
        if kernel == .v5_4, let f = files5_4[fn] { return f }
        if let f = files[fn] { return f }
        if let f = memo.withLock({ $0[fn] }) { return f }
        let f = prefixes.first { fn.hasPrefix($0.0) }?.1 ?? "net/core/dev.c"
        memo.withLock { $0[fn] = f }
        return f
    }

    /// The prefix rules' answers, remembered: the path of every frame asks for the same few
    /// dozen functions.
    static let memo = Mutex<[String: String]>([:])

    static let prefixes: [(String, String)] = [
        // IPv6 first: "udp6_" and "udpv6_" must not fall to IPv4's "udp".
        ("ipv6_rcv", "net/ipv6/ip6_input.c"), ("ip6_rcv", "net/ipv6/ip6_input.c"), ("ip6_input", "net/ipv6/ip6_input.c"),
        ("ip6_mc_input", "net/ipv6/ip6_input.c"), ("ip6_protocol_deliver_rcu", "net/ipv6/ip6_input.c"),
        ("ip6_route_output", "net/ipv6/route.c"), ("ip6_route_", "net/ipv6/route.c"), ("ip6_pol_route", "net/ipv6/route.c"),
        ("fib6_table_lookup", "net/ipv6/route.c"), ("ip6_pkt_", "net/ipv6/route.c"), ("fib6_rule", "net/ipv6/fib6_rules.c"),
        ("fib_rules_", "net/core/fib_rules.c"), ("ip6_local_out", "net/ipv6/output_core.c"), ("__ip6_local_out", "net/ipv6/output_core.c"),
        ("ipv6_frag_rcv", "net/ipv6/reassembly.c"), ("fq_find", "net/ipv6/reassembly.c"), ("ip6_frag_", "net/ipv6/reassembly.c"),
        ("ip6_parse_tlv", "net/ipv6/exthdrs.c"), ("ip6_tlvopt_", "net/ipv6/exthdrs.c"),
        ("ip6_", "net/ipv6/ip6_output.c"), ("__ip6_", "net/ipv6/ip6_output.c"), ("ipv6_chk_mcast", "net/ipv6/mcast.c"),
        ("ipv6_", "net/ipv6/exthdrs.c"), ("icmpv6_", "net/ipv6/icmp.c"), ("icmp6_", "net/ipv6/icmp.c"), ("ndisc_", "net/ipv6/ndisc.c"),
        ("udpv6_", "net/ipv6/udp.c"), ("udp6_", "net/ipv6/udp.c"), ("__udp6_", "net/ipv6/udp.c"), ("tcp_v6_", "net/ipv6/tcp_ipv6.c"),
        ("inet6_csk_", "net/ipv6/inet6_connection_sock.c"),
        ("rawv6_", "net/ipv6/raw.c"), ("ping_v6_", "net/ipv6/ping.c"), ("dst_discard", "net/core/dst.c"), ("nft_do_chain_ipv6", "net/netfilter/nft_chain_filter.c"),
        ("e1000_", "drivers/net/ethernet/intel/e1000/e1000_main.c"), ("veth_", "drivers/net/veth.c"),
        ("ip_rcv", "net/ipv4/ip_input.c"), ("ip_options_", "net/ipv4/ip_options.c"),
        ("ip_defrag", "net/ipv4/ip_fragment.c"), ("ip_frag", "net/ipv4/ip_fragment.c"), ("ip_find", "net/ipv4/ip_fragment.c"),
        ("ip_expire", "net/ipv4/ip_fragment.c"), ("inet_frag", "net/ipv4/inet_fragment.c"),
        ("ip_do_fragment", "net/ipv4/ip_output.c"), ("ip_local_deliver", "net/ipv4/ip_input.c"),
        ("ip_route_", "net/ipv4/route.c"), ("fib_table_", "net/ipv4/fib_trie.c"), ("fib_", "net/ipv4/fib_frontend.c"),
        ("ip_forward", "net/ipv4/ip_forward.c"), ("icmp_", "net/ipv4/icmp.c"), ("__icmp_", "net/ipv4/icmp.c"),
        ("udp", "net/ipv4/udp.c"), ("__udp4", "net/ipv4/udp.c"), ("tcp_v4", "net/ipv4/tcp_ipv4.c"),
        ("tcp_", "net/ipv4/tcp_input.c"), ("arp_", "net/ipv4/arp.c"), ("raw_", "net/ipv4/raw.c"),
        ("ip_finish_output", "net/ipv4/ip_output.c"), ("ip_", "net/ipv4/ip_output.c"),
        ("neigh_", "net/core/neighbour.c"), ("__neigh_", "net/core/neighbour.c"), ("nf_", "net/netfilter/core.c"),
        ("__x64_sys_", "net/socket.c"), ("__se_sys_", "net/socket.c"), ("__do_sys_", "net/socket.c"),
        ("__sys_", "net/socket.c"), ("___sys_", "net/socket.c"), ("____sys_", "net/socket.c"), ("sock_", "net/socket.c"),
        ("__sock_", "net/socket.c"), ("inet_", "net/ipv4/af_inet.c"), ("__inet_", "net/ipv4/af_inet.c"),
        ("ping_", "net/ipv4/ping.c"), ("entry_SYSCALL_64", "arch/x86/entry/entry_64.S"),
    ]

    /// Where 5.4 kept what later moved (net/core/gro.c was split out of dev.c in 5.19).
    static let files5_4: [String: String] = [
        "napi_gro_receive": "net/core/dev.c", "napi_skb_finish": "net/core/dev.c", "dev_gro_receive": "net/core/dev.c",
        "do_syscall_64": "arch/x86/entry/common.c", "dev_queue_xmit": "net/core/dev.c",
    ]

    static let files: [String: String] = [
        "ip_protocol_deliver_rcu": "net/ipv4/ip_input.c", "ip_error": "net/ipv4/route.c",
        "ip_mkroute_input": "net/ipv4/route.c", "__mkroute_input": "net/ipv4/route.c",
        "fib_lookup": "include/net/ip_fib.h", "fib_rules_lookup": "net/core/fib_rules.c",
        "fib_validate_source": "net/ipv4/fib_frontend.c", "fib_table_lookup": "net/ipv4/fib_trie.c",
        "NF_HOOK": "include/linux/netfilter.h", "nf_hook": "include/linux/netfilter.h",
        "nf_hook_slow": "net/netfilter/core.c", "dst_input": "include/net/dst.h", "dst_output": "include/net/dst.h",
        "tcp_rcv_state_process": "net/ipv4/tcp_input.c", "tcp_conn_request": "net/ipv4/tcp_input.c",
        "tcp_v4_send_synack": "net/ipv4/tcp_ipv4.c", "tcp_v4_send_reset": "net/ipv4/tcp_ipv4.c",
        "ip_build_and_send_pkt": "net/ipv4/ip_output.c", "ip_send_unicast_reply": "net/ipv4/ip_output.c",
        "ip_push_pending_frames": "net/ipv4/ip_output.c", "ip_send_skb": "net/ipv4/ip_output.c",
        "ip_local_out": "net/ipv4/ip_output.c", "__ip_local_out": "net/ipv4/ip_output.c",
        "dev_queue_xmit": "include/linux/netdevice.h", "__dev_queue_xmit": "net/core/dev.c",
        "neigh_resolve_output": "net/core/neighbour.c", "sk_skb_reason_drop": "net/core/skbuff.c",
        "kfree_skb": "net/core/skbuff.c", "consume_skb": "net/core/skbuff.c",
        "napi_gro_receive": "net/core/gro.c", "napi_skb_finish": "net/core/gro.c",
        "dev_gro_receive": "net/core/gro.c", "eth_type_trans": "net/ethernet/eth.c",
        "__do_softirq": "kernel/softirq.c", "run_ksoftirqd": "kernel/softirq.c", "handle_softirqs": "kernel/softirq.c",
        "do_softirq": "kernel/softirq.c", "__local_bh_enable_ip": "kernel/softirq.c",
        "smpboot_thread_fn": "kernel/smpboot.c", "kthread": "kernel/kthread.c",
        "ret_from_fork": "arch/x86/entry/entry_64.S", "udp_queue_rcv_skb": "net/ipv4/udp.c",
        "sock_queue_rcv_skb": "net/core/sock.c",
        "neigh_output": "include/net/neighbour.h", "neigh_hh_output": "include/net/neighbour.h",
        "neigh_event_send": "include/net/neighbour.h", "NF_HOOK_COND": "include/linux/netfilter.h",
        "sch_direct_xmit": "net/sched/sch_generic.c", "do_syscall_64": "arch/x86/entry/syscall_64.c",
        "ip_local_error": "net/ipv4/ip_sockglue.c", "__ip_finish_output": "net/ipv4/ip_output.c", "__ip_route_output_key": "net/ipv4/route.c",
        "update_or_create_fnhe": "net/ipv4/route.c", "__ip_rt_update_pmtu": "net/ipv4/route.c",
        "ipv4_sk_update_pmtu": "net/ipv4/route.c", "__fput": "fs/file_table.c", "sock_close": "net/socket.c",
        "tcp_sendmsg": "net/ipv4/tcp.c", "tcp_sendmsg_locked": "net/ipv4/tcp.c", "tcp_push": "net/ipv4/tcp.c",
        "tcp_shutdown": "net/ipv4/tcp.c", "tcp_recvmsg": "net/ipv4/tcp.c", "tcp_cleanup_rbuf": "net/ipv4/tcp.c",
        "tcp_close": "net/ipv4/tcp.c", "__tcp_close": "net/ipv4/tcp.c",
        "tcp_write_xmit": "net/ipv4/tcp_output.c", "__tcp_push_pending_frames": "net/ipv4/tcp_output.c",
        "tcp_transmit_skb": "net/ipv4/tcp_output.c", "__tcp_transmit_skb": "net/ipv4/tcp_output.c",
        "tcp_connect": "net/ipv4/tcp_output.c", "tcp_send_fin": "net/ipv4/tcp_output.c",
        "tcp_send_ack": "net/ipv4/tcp_output.c", "__tcp_send_ack": "net/ipv4/tcp_output.c",
        "tcp_send_active_reset": "net/ipv4/tcp_output.c", "ip_route_connect": "include/net/route.h",
        "ip_route_newports": "include/net/route.h", "ip_route_output_ports": "include/net/route.h",
    ]
}
