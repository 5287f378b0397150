// What the model says about one frame: verdict, route, hooks, emitted frames, counters, path.
import HostModel
import Wire

public enum VerdictAction: String, Sendable {
    case deliver, forward, drop, consume, queue, send, error
    /// The socket call returned an error (`Verdict.errno`): nothing was sent.
    case fail
}

public struct Verdict: Equatable, Sendable {
    public var action: VerdictAction
    /// The kernel's drop reason without the SKB_DROP_REASON_ prefix (drops only; nil on 5.4).
    public var reason: String?
    /// The function the kernel reports as the location (kfree_skb/consume_skb `location=`).
    public var function: String
    public var detail: String
    /// False when the kernel frees the skb without a tracepoint (__kfree_skb): nothing for
    /// skb:kfree_skb or skb:consume_skb to see.
    public var traced = true
    /// The errno a failed socket call returns (EMSGSIZE, ENETUNREACH, …).
    public var errno: String?
    public init(action: VerdictAction, reason: String?, function: String, detail: String, errno: String? = nil) {
        self.action = action; self.reason = reason; self.function = function; self.detail = detail; self.errno = errno
    }
}

/// The route a lookup attached to the skb (skb_dst), as `ip route get` would say: an input
/// route (ip_local_deliver, ip_forward, ip_error) or, for a packet the host sends, an output one.
public struct InputRoute: Equatable, Sendable {
    public enum Input: Equatable, Sendable { case localDeliver, forward, error(errno: Int32), output, outputError(errno: Int32) }
    public var input: Input
    public var type: RouteType
    public var table: RouteTable?
    public var prefix: IPPrefix?
    public var device: String?
    public var gateway: IPv4Address?
    public var source: IPv4Address?
    public var rulePriority: Int?
    public var mtu: Int?
    /// dst.input's name where it is not IPv4's (ip6_input, ip6_mc_input, ip6_forward,
    /// ip6_pkt_discard, ip6_pkt_prohibit, dst_discard).
    public var handler: String? = nil
    public var isBroadcast: Bool { type == .broadcast }
}

public struct HookPass: Equatable, Sendable {
    public var hook: String
    public var verdict: String
    /// Nil for the received packet; else the packet the host made (a reply, an ARP request).
    public var packet: String?
    /// Each nftables chain the packet went through on this hook, in order.
    public var chains: [ChainPass] = []
    /// The conntrack state the packet had here (new, established, related, invalid), when
    /// conntrack is loaded.
    public var conntrack: String? = nil
}

/// One chain's part in a hook: the rule that ended it (nil: the chain ran out — the policy of
/// a base chain, a return to the caller of a regular one) and the verdict, as `nft monitor
/// trace` reports them.
public struct ChainPass: Equatable, Sendable {
    /// Family and name, e.g. `inet filter`.
    public var table: String
    public var chain: String
    public var rule: String?
    public var handle: Int?
    /// accept, drop, jump NAME, goto NAME, return, continue (a regular chain ran out), or
    /// `policy accept` / `policy drop`.
    public var verdict: String
}

public struct EmittedFrame: Equatable, Sendable {
    public var iface: String
    public var bytes: [UInt8]
    public var why: String
}

/// One `fib:fib_table_lookup` as the kernel's tracepoint would print it.
public struct FIBLookup: Equatable, Sendable {
    public var table: RouteTable
    public var source: IPAddress
    public var destination: IPAddress
    public var iif: Int
    public var oif: Int
    public var result: String
}

/// The end of one skb's life, as skb:kfree_skb / skb:consume_skb report it.
public struct SkbEnd: Equatable, Sendable {
    public var event: String          // "kfree_skb" or "consume_skb"
    public var reason: String?
    public var location: String
    public var stack: [String]
}

/// What happened to a fragment (ip_defrag), or to a packet cut into fragments (ip_do_fragment).
public struct FragmentReport: Equatable, Sendable {
    public var datagram: String
    public var offset: Int
    public var length: Int
    public var more: Bool
    /// queued, complete, duplicate, overlap, too-far, no-memory, fragmented
    public var outcome: String
    public var detail: String
}

/// What the model says of one frame. Its fields live in one reference-counted box, copied on
/// write: a report passes from the model to the witness, the pending queue and a render thread,
/// and as a plain struct of two dozen references each of those copies (and each destroy) cost a
/// retain or release per field, a tenth of `--stats`' time (callgrind); now a copy is one.
public struct FrameReport {
    /// The report's fields, as one value: what the box holds.
    @usableFromInline struct Fields {
        @usableFromInline var verdict: Verdict
        @usableFromInline var route: InputRoute? = nil
        @usableFromInline var netfilter: [HookPass] = []
        @usableFromInline var emitted: [EmittedFrame] = []
        @usableFromInline var counters: Counters = Counters()
        @usableFromInline var path: [PathEntry] = []
        @usableFromInline var fib: [FIBLookup] = []
        /// The live stack at the breakpoint (innermost first), when one was set and reached.
        @usableFromInline var breakStack: [String]? = nil
        /// The live stack when the frame's life ended (kfree_skb/consume_skb), innermost first.
        @usableFromInline var endStack: [String] = []
        @usableFromInline var socket: String? = nil
        @usableFromInline var iface: String
        /// Every skb whose life ended while this frame was processed (timers that fired first included).
        @usableFromInline var ends: [SkbEnd] = []
        @usableFromInline var fragment: FragmentReport? = nil
        /// What timers did before this frame (reassembly timeouts), one line each.
        @usableFromInline var timers: [String] = []
        /// Where the capture contradicts the explanation (filled in by `Witness`).
        @usableFromInline var witness: [WitnessFinding] = []
        /// For a drop: the nearest change to the host that lets the frame past where it was dropped,
        /// checked by the model (set by the command that explains it).
        @usableFromInline var whyNot: String? = nil
    }

    @usableFromInline final class Box {
        @usableFromInline var fields: Fields
        @usableFromInline init(_ fields: Fields) { self.fields = fields }
    }
    @usableFromInline var box: Box

    /// The fields to write to: this report's own box (copied first when another report shares it).
    @inlinable var fields: Fields {
        _read { yield box.fields }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            yield &box.fields
        }
    }

    @inlinable public var verdict: Verdict { get { box.fields.verdict } _modify { yield &fields.verdict } }
    @inlinable public var route: InputRoute? { get { box.fields.route } _modify { yield &fields.route } }
    @inlinable public var netfilter: [HookPass] { get { box.fields.netfilter } _modify { yield &fields.netfilter } }
    @inlinable public var emitted: [EmittedFrame] { get { box.fields.emitted } _modify { yield &fields.emitted } }
    @inlinable public var counters: Counters { get { box.fields.counters } _modify { yield &fields.counters } }
    @inlinable public var path: [PathEntry] { get { box.fields.path } _modify { yield &fields.path } }
    @inlinable public var fib: [FIBLookup] { get { box.fields.fib } _modify { yield &fields.fib } }
    @inlinable public var breakStack: [String]? { get { box.fields.breakStack } _modify { yield &fields.breakStack } }
    @inlinable public var endStack: [String] { get { box.fields.endStack } _modify { yield &fields.endStack } }
    @inlinable public var socket: String? { get { box.fields.socket } _modify { yield &fields.socket } }
    @inlinable public var iface: String { get { box.fields.iface } _modify { yield &fields.iface } }
    @inlinable public var ends: [SkbEnd] { get { box.fields.ends } _modify { yield &fields.ends } }
    @inlinable public var fragment: FragmentReport? { get { box.fields.fragment } _modify { yield &fields.fragment } }
    @inlinable public var timers: [String] { get { box.fields.timers } _modify { yield &fields.timers } }
    @inlinable public var witness: [WitnessFinding] { get { box.fields.witness } _modify { yield &fields.witness } }
    @inlinable public var whyNot: String? { get { box.fields.whyNot } _modify { yield &fields.whyNot } }

    /// The same report in storage of its own, each list no larger than it needs: a report kept
    /// (for another thread) then shares nothing with the model's per-frame buffers, which the
    /// next frame empties and reuses.
    public func compacted() -> FrameReport {
        func own<T>(_ a: [T]) -> [T] { a.withUnsafeBufferPointer { Array($0) } }
        var r = self
        r.netfilter = own(netfilter); r.emitted = own(emitted); r.counters = counters.compacted()
        r.path = own(path); r.fib = own(fib); r.endStack = own(endStack); r.ends = own(ends); r.timers = own(timers)
        return r
    }

    public init(verdict: Verdict, route: InputRoute? = nil, netfilter: [HookPass] = [], emitted: [EmittedFrame] = [],
                counters: Counters = Counters(), path: [PathEntry] = [], fib: [FIBLookup] = [], breakStack: [String]? = nil,
                endStack: [String] = [], socket: String? = nil, iface: String) {
        box = Box(Fields(verdict: verdict, route: route, netfilter: netfilter, emitted: emitted, counters: counters, path: path,
                         fib: fib, breakStack: breakStack, endStack: endStack, socket: socket, iface: iface))
    }
}
