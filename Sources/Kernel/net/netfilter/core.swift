// include/linux/netfilter.h, net/netfilter/core.c — modelled: 6.18, 5.4.
// NF_HOOK runs the hook's registered functions (nf_hook_slow) and, on accept, the okfn. With no
// ruleset loaded (the netfilter model comes with its own issue) every hook accepts; the passage
// is recorded so the output lists the hooks a packet crosses.

enum NFHook: String {
    case preRouting = "PRE_ROUTING", localIn = "LOCAL_IN", forward = "FORWARD"
    case localOut = "LOCAL_OUT", postRouting = "POST_ROUTING", arpIn = "ARP_IN", arpOut = "ARP_OUT"
}

extension Kernel {
    /// NF_HOOK(pf, hook, …, okfn): the hook, then `okfn` when it accepts. NF_HOOK is inlined
    /// into its caller; when the caller ends with `return NF_HOOK(…)` and okfn is a real
    /// function, the call to okfn is a tail call and the caller's frame is gone (`tail`). Where
    /// okfn is itself inlined (ip_rcv_finish into ip_rcv) there is no call at all.
    @discardableResult
    func NF_HOOK<T>(_ hook: NFHook, tail: Bool = true, name: String = "NF_HOOK", _ okfn: () -> T) -> T {
        let f = trace.enter(name); defer { trace.leave(f) }
        hooks.append(HookPass(hook: hook.rawValue, verdict: "accept", packet: emittingPacket))
        return tail ? trace.tailCall(from: f) { okfn() } : okfn()
    }
}

extension Kernel {
    /// NF_HOOK_COND (ip_output's POST_ROUTING): NF_HOOK unless the packet was rerouted after
    /// an earlier pass (IPSKB_REROUTED; not modelled, so always).
    @discardableResult
    func NF_HOOK_COND<T>(_ hook: NFHook, tail: Bool = true, _ okfn: () -> T) -> T {
        NF_HOOK(hook, tail: tail, name: "NF_HOOK_COND", okfn)
    }

    /// nf_hook: the hook alone; true (the kernel's 1) when the caller should go on to okfn
    /// itself (__ip_local_out returns it, and ip_local_out calls dst_output).
    func nf_hook(_ hook: NFHook) -> Bool {
        let f = trace.enter("nf_hook"); defer { trace.leave(f) }
        hooks.append(HookPass(hook: hook.rawValue, verdict: "accept", packet: emittingPacket))
        return true
    }
}
