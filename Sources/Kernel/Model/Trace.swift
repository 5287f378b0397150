// The call trace: every modelled kernel function records itself as it runs, so the printed path
// is the path the code took. Two views are kept:
//  - `path`: every function entered, in order, with its depth (the logical call path);
//  - the live stack: what a backtrace at this moment would show. A function that leaves through
//    a tail call drops its frame before its callee runs (`tailCall`), as compiled code does.

public struct PathEntry: Equatable, Sendable, BitwiseCopyable {
    public let fn: KFunc
    public let depth: Int
    /// The profile's kernel build inlined it into the function that called it: no stack, and
    /// no function tracer, shows it.
    public let inlined: Bool
    public init(_ fn: KFunc, depth: Int, inlined: Bool = false) { self.fn = fn; self.depth = depth; self.inlined = inlined }
    public var function: String { fn.name }
    public var file: String { KernelSource.file(of: function) }
}

public final class CallTrace {
    /// Every function entered this frame, in order (kept in a buffer of its own while the frame
    /// runs, made an array once, when the report is made).
    public var path: [PathEntry] { pathEntries.array }
    /// False when only the outcome is wanted (totals): the live stack is kept, the path is not.
    public var recordsPath = true
    private var last: KFunc?
    /// The last function entered (what `path.last` would name).
    public var lastEntered: String? { last?.name }
    // The path and the live stack in buffers the trace owns (`TraceBuffer`): entered and left
    // forty times a frame, an Array's uniqueness and capacity checks, and a new path buffer each
    // frame while the last report still held the old one, were a tenth of the model's
    // instructions (callgrind, the bench capture).
    private var pathEntries = TraceBuffer<PathEntry>()
    private var stack = TraceBuffer<Slot>()
    private struct Slot { let fn: KFunc; let id: Int }
    private var nextID = 0
    /// Frames below the first modelled function (the context the driver runs in), outermost first.
    var context: [String] = []
    /// Whether the compiler inlined a function into its caller (the profile's tables, kept here:
    /// asked at every modelled call): a tail call from inlined code removes the machine frame it
    /// was inlined into. A function named at run time (past the tables) asks `inlinedByName`.
    private var inlined = InlineTable()
    private var inlinedByName: (_ fn: KFunc, _ caller: KFunc?) -> Bool = { _, _ in false }

    func setInlining(_ table: InlineTable, byName: @escaping (_ fn: KFunc, _ caller: KFunc?) -> Bool) {
        inlined = table; inlinedByName = byName
    }

    /// Whether `fn`, called from the live stack's frames below index `top`, is inlined: into
    /// every caller, or at a call site whose caller is the frame below or, past frames that were
    /// inlined themselves, the function they were inlined into (`InlineTable`).
    func isInlined(_ fn: KFunc, below top: Int) -> Bool {
        guard let everywhere = inlined.isEverywhere(fn) else { return inlinedByName(fn, top > 0 ? stack[top - 1].fn : nil) }
        if everywhere { return true }
        guard inlined.hasCallSites(fn) else { return false }
        var j = top - 1
        while j >= 0 {
            if inlined.isSite(stack[j].fn, fn) { return true }
            if !isInlined(stack[j].fn, below: j) { return false }
            j -= 1
        }
        return false
    }
    /// A function to stop at, as `b FUNCTION` in gdb.
    public var breakpoint: String? {
        didSet { breakpointFunc = breakpoint.map { KFunc(named: $0) } }
    }
    private var breakpointFunc: KFunc?
    /// The live stack (innermost first) the first time `breakpoint` was entered.
    public private(set) var breakStack: [String]?

    public init() {}

    deinit { pathEntries.free(); stack.free() }

    /// Empties the trace for the next frame, keeping its storage.
    func reset(breakpoint: String?) {
        pathEntries.count = 0
        stack.count = 0
        nextID = 0
        if !context.isEmpty { context = [] }
        last = nil
        if breakpoint != self.breakpoint { self.breakpoint = breakpoint }
        breakStack = nil
    }

    public struct Frame { fileprivate let id: Int; fileprivate let depth: Int }

    /// Enters `fn`: a new frame on the live stack and an entry in the path.
    @discardableResult
    public func enter(_ fn: KFunc) -> Frame {
        let id = nextID
        nextID += 1
        let depth = stack.count
        if recordsPath { pathEntries.append(PathEntry(fn, depth: depth, inlined: isInlined(fn, below: depth))) }
        last = fn
        stack.append(Slot(fn: fn, id: id))
        if let b = breakpointFunc, b == fn, breakStack == nil { breakStack = liveStack() }
        return Frame(id: id, depth: depth)
    }

    /// The function that called the one of `frame` (nil at the bottom, or once it left).
    func caller(of frame: Frame) -> KFunc? {
        guard frame.depth > 0, frame.depth < stack.count, stack[frame.depth].id == frame.id else { return nil }
        return stack[frame.depth - 1].fn
    }

    /// Where `frame` is on the live stack (nil once it left): at the depth it was entered at, or
    /// nowhere — the frames below it leave only after it (no scan of the stack).
    private func index(of frame: Frame) -> Int? {
        frame.depth < stack.count && stack[frame.depth].id == frame.id ? frame.depth : nil
    }

    /// Leaves the function of `frame` (a no-op if it already left through a tail call).
    public func leave(_ frame: Frame) {
        if let i = index(of: frame) { stack.count = i }
    }

    /// The function of `frame` ends by calling `body` and returning its result: its frame is gone
    /// while `body` runs (a tail call).
    public func tailCall<T>(from frame: Frame, _ body: () -> T) -> T {
        if let i = index(of: frame) {
            var cut = i
            while cut > 0 && isInlined(stack[cut].fn, below: cut) { cut -= 1 }
            stack.count = cut
        }
        return body()
    }

    /// Runs `body` and then forgets what it entered: the path, the live stack and the breakpoint's
    /// stack are as they were before.
    func muted<T>(_ body: () -> T) -> T {
        let (savedPath, savedStack, savedLast, savedBreak) = (pathEntries.count, stack.array, last, breakStack)
        defer {
            if pathEntries.count > savedPath { pathEntries.count = savedPath }
            stack.count = 0
            for slot in savedStack { stack.append(slot) }
            last = savedLast; breakStack = savedBreak
        }
        return body()
    }

    /// The live stack's function ids, innermost first, and the context below them: what a memo of
    /// anything made from the live stack is keyed on.
    func stackKey() -> (ids: [UInt16], context: [String]) {
        ((0..<stack.count).reversed().map { stack[$0].fn.id }, context)
    }

    /// True when the live stack is the one `key` was taken of (compared in place, nothing built).
    func stackMatches(_ key: (ids: [UInt16], context: [String])) -> Bool {
        guard key.ids.count == stack.count, key.context == context else { return false }
        var i = stack.count - 1
        for id in key.ids { if stack[i].fn.id != id { return false }; i -= 1 }
        return true
    }

    /// Innermost first: the modelled frames, then the context frames below them.
    public func liveStack() -> [String] {
        (0..<stack.count).reversed().map { stack[$0].fn.name } + context.reversed()
    }

    /// The innermost modelled frame the compiler did not inline into its caller, without building
    /// the stack; nil when every modelled frame is inlined (then the context decides).
    func innermostNotInlined() -> KFunc? {
        var i = stack.count - 1
        while i >= 0 {
            if !isInlined(stack[i].fn, below: i) { return stack[i].fn }
            i -= 1
        }
        return nil
    }
}

/// A growable buffer of trivial values the trace owns: appended to, cut back by setting `count`
/// (nothing to deinitialise), grown by doubling, never shrunk; freed by its owner's deinit.
private struct TraceBuffer<Element: BitwiseCopyable> {
    private var base = UnsafeMutablePointer<Element>.allocate(capacity: 64)
    private var capacity = 64
    var count = 0

    subscript(i: Int) -> Element { @inline(__always) get { base[i] } }

    // (Inlined, the growth kept out of line: a call per modelled function entered cost more
    // than the rest of `enter`, measured.)
    @inline(__always)
    mutating func append(_ e: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: e)
        count += 1
    }

    @inline(never)
    private mutating func grow() {
        capacity *= 2
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        grown.moveInitialize(from: base, count: count)
        base.deallocate()
        base = grown
    }

    var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

    func free() { base.deallocate() }
}
