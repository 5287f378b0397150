// What the model observes of one frame as it runs — the tool's instruments, not kernel state:
// the frames the host puts on the wire, each netfilter hook's pass, the fib:fib_table_lookup
// records, how the frame's skb (and any other) ends, the fragment outcome, the timers that fired
// and the socket involved. Made empty by `beginFrame`, read by `finishFrame` into a FrameReport.

final class FrameRecord {
    var emitted: [EmittedFrame] = []
    var hooks: [HookPass] = []
    var fib: [FIBLookup] = []
    /// The frame's own verdict and the stack it ended on (the first end recorded).
    var end: (verdict: Verdict, stack: [String])?
    /// Every skb end, as skb:kfree_skb / skb:consume_skb report them.
    var ends: [SkbEnd] = []
    var fragment: FragmentReport?
    var timers: [String] = []
    var socket: String?
    /// Why an ICMP error the frame's path asked for did not leave (a rate limit), or that it may
    /// not have (the global limit's random draw), added to the verdict's words.
    var icmpSuppressed: String?

    /// Empties the lists keeping their storage: once the caller has dropped the last report, the
    /// next frame appends without allocating (while a report still holds a list, emptying it
    /// makes a new one and the report keeps its own).
    /// An empty list is left as it is: emptying one a report still shares would allocate its
    /// storage anew for a list the next frame may not use (most frames have no timers).
    func reset() {
        func empty<T>(_ list: inout [T]) { if !list.isEmpty { list.removeAll(keepingCapacity: true) } }
        empty(&emitted); empty(&hooks); empty(&fib); empty(&ends); empty(&timers)
        end = nil
        fragment = nil
        socket = nil
        icmpSuppressed = nil
    }
}
