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
    func NF_HOOK<T>(_ hook: NFHook, tail: Bool = true, _ okfn: () -> T) -> T {
        let f = trace.enter("NF_HOOK"); defer { trace.leave(f) }
        hooks.append(HookPass(hook: hook.rawValue, verdict: "accept", packet: emittingPacket))
        return tail ? trace.tailCall(from: f) { okfn() } : okfn()
    }
}
