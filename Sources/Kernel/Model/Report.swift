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
    @usableFromInline final class Storage {
        @usableFromInline var verdict: Verdict
        @usableFromInline var route: InputRoute?
        @usableFromInline var netfilter: [HookPass]
        @usableFromInline var emitted: [EmittedFrame]
        @usableFromInline var counters: Counters
        @usableFromInline var path: [PathEntry]
        @usableFromInline var fib: [FIBLookup]
        @usableFromInline var breakStack: [String]?
        @usableFromInline var endStack: [String]
        @usableFromInline var socket: String?
        @usableFromInline var iface: String
        @usableFromInline var ends: [SkbEnd]
        @usableFromInline var fragment: FragmentReport?
        @usableFromInline var timers: [String]
        @usableFromInline var witness: [WitnessFinding]
        @usableFromInline var whyNot: String?
        @usableFromInline init(verdict: Verdict, route: InputRoute?, netfilter: [HookPass], emitted: [EmittedFrame], counters: Counters, path: [PathEntry], fib: [FIBLookup], breakStack: [String]?, endStack: [String], socket: String?, iface: String, ends: [SkbEnd], fragment: FragmentReport?, timers: [String], witness: [WitnessFinding], whyNot: String?) {
            self.verdict = verdict; self.route = route; self.netfilter = netfilter; self.emitted = emitted; self.counters = counters; self.path = path; self.fib = fib; self.breakStack = breakStack; self.endStack = endStack; self.socket = socket; self.iface = iface; self.ends = ends; self.fragment = fragment; self.timers = timers; self.witness = witness; self.whyNot = whyNot
        }
        @usableFromInline func copy() -> Storage {
            Storage(verdict: verdict, route: route, netfilter: netfilter, emitted: emitted, counters: counters, path: path, fib: fib, breakStack: breakStack, endStack: endStack, socket: socket, iface: iface, ends: ends, fragment: fragment, timers: timers, witness: witness, whyNot: whyNot)
        }
    }
    @usableFromInline var storage: Storage

    /// The box to write to: this report's own (copied first when another report shares it).
    @inlinable var unique: Storage {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            return storage
        }
    }

    @inlinable public var verdict: Verdict {
        get { storage.verdict }
        set { unique.verdict = newValue }
        _modify { let s = unique; yield &s.verdict }
    }
    @inlinable public var route: InputRoute? {
        get { storage.route }
        set { unique.route = newValue }
        _modify { let s = unique; yield &s.route }
    }
    @inlinable public var netfilter: [HookPass] {
        get { storage.netfilter }
        set { unique.netfilter = newValue }
        _modify { let s = unique; yield &s.netfilter }
    }
    @inlinable public var emitted: [EmittedFrame] {
        get { storage.emitted }
        set { unique.emitted = newValue }
        _modify { let s = unique; yield &s.emitted }
    }
    @inlinable public var counters: Counters {
        get { storage.counters }
        set { unique.counters = newValue }
        _modify { let s = unique; yield &s.counters }
    }
    @inlinable public var path: [PathEntry] {
        get { storage.path }
        set { unique.path = newValue }
        _modify { let s = unique; yield &s.path }
    }
    @inlinable public var fib: [FIBLookup] {
        get { storage.fib }
        set { unique.fib = newValue }
        _modify { let s = unique; yield &s.fib }
    }
    /// The live stack at the breakpoint (innermost first), when one was set and reached.
    @inlinable public var breakStack: [String]? {
        get { storage.breakStack }
        set { unique.breakStack = newValue }
        _modify { let s = unique; yield &s.breakStack }
    }
    /// The live stack when the frame's life ended (kfree_skb/consume_skb), innermost first.
    @inlinable public var endStack: [String] {
        get { storage.endStack }
        set { unique.endStack = newValue }
        _modify { let s = unique; yield &s.endStack }
    }
    @inlinable public var socket: String? {
        get { storage.socket }
        set { unique.socket = newValue }
        _modify { let s = unique; yield &s.socket }
    }
    @inlinable public var iface: String {
        get { storage.iface }
        set { unique.iface = newValue }
        _modify { let s = unique; yield &s.iface }
    }
    /// Every skb whose life ended while this frame was processed (timers that fired first included).
    @inlinable public var ends: [SkbEnd] {
        get { storage.ends }
        set { unique.ends = newValue }
        _modify { let s = unique; yield &s.ends }
    }
    @inlinable public var fragment: FragmentReport? {
        get { storage.fragment }
        set { unique.fragment = newValue }
        _modify { let s = unique; yield &s.fragment }
    }
    /// What timers did before this frame (reassembly timeouts), one line each.
    @inlinable public var timers: [String] {
        get { storage.timers }
        set { unique.timers = newValue }
        _modify { let s = unique; yield &s.timers }
    }
    /// Where the capture contradicts the explanation (filled in by `Witness`).
    @inlinable public var witness: [WitnessFinding] {
        get { storage.witness }
        set { unique.witness = newValue }
        _modify { let s = unique; yield &s.witness }
    }
    /// For a drop: the nearest change to the host that lets the frame past where it was dropped,
    /// checked by the model (set by the command that explains it).
    @inlinable public var whyNot: String? {
        get { storage.whyNot }
        set { unique.whyNot = newValue }
        _modify { let s = unique; yield &s.whyNot }
    }

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
        storage = Storage(verdict: verdict, route: route, netfilter: netfilter, emitted: emitted, counters: counters, path: path,
                          fib: fib, breakStack: breakStack, endStack: endStack, socket: socket, iface: iface, ends: [],
                          fragment: nil, timers: [], witness: [], whyNot: nil)
    }
}
