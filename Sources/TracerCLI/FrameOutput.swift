// Where explained frames go once the witness has had its say: rendered (text, JSON, bt) and
// written in capture order. With `--jobs N` (N > 1) the rendering runs on N - 1 threads of its
// own while the model goes on with the next frames on the calling thread.
//
// Why the model itself is not sharded by flow: a capture's flows share kernel state the
// explanation depends on — the neighbour table (a reply's ARP request, a queued skb), the ICMP
// global and per-peer limits, the CPU backlog and the NIC ring, the reassembly memory limits, a
// UDP socket's receive buffer shared by many clients, a listener's queues, conntrack's NAT port
// choice, path MTU exceptions. A flow's shard would have to replay every other flow's effect on
// them in order. Running the model once, in order, keeps every frame exact by construction;
// what is spread over the cores is what does not feed back into the model: the dissection that
// heads each frame, its rendering, its witness lines. Byte-identical to `--jobs 1` because the
// same functions render the same values, each batch is written in turn, and the per-thread
// caches (`Render.TextParts`, `JSONParts`) only ever return what rendering again would give.
import Capture
import DequeModule
import Kernel
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// One frame ready to print: its header (the summary possibly still to dissect), the model's
/// report and what the witness found.
struct ExplainedFrame {
    var header: FrameHeader
    /// The frame's bytes and timestamp, when the summary and the time are the renderer's to make
    /// (`--jobs` > 1).
    var unsummarised: (bytes: [UInt8], linkType: LinkType, wireLength: Int, timestamp: Timestamp)?
    /// (A FrameReport keeps its fields in a box of its own: moved through the witness's queue, a
    /// batch and a thread, a copy is one retain.)
    let report: FrameReport
    var findings: [WitnessFinding]

    init(header: FrameHeader, unsummarised: (bytes: [UInt8], linkType: LinkType, wireLength: Int, timestamp: Timestamp)?, report: consuming FrameReport, findings: [WitnessFinding]) {
        self.header = header; self.unsummarised = unsummarised; self.report = report; self.findings = findings
    }
}

/// The rendering of frames into the bytes the command writes: the same for every thread, one per
/// thread (its caches are not shared).
struct FrameRenderer {
    let format: OutputFormat
    let palette: Palette
    let kernel: KernelVersion
    let breakpoint: String?
    let textParts = Render.TextParts()
    let jsonParts = Render.JSONParts()

    static func summary(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int) -> String {
        var s = Dissection(bytes, linkType: linkType, wireLength: wireLength).summary
        if bytes.count < wireLength { s += " [snapped: \(bytes.count) of \(wireLength) bytes]" }
        return s
    }

    /// A frame's output before the witness has had its say: the JSON object (its `witness`
    /// array empty), or the text lines and where witness lines go.
    enum Rendered {
        case json([UInt8])
        case text([String], slot: Int)
        /// Text as newline-ended UTF-8; witness lines go in at byte `slot`.
        case textBytes([UInt8], slot: Int)
        /// A digraph: witness findings go in as a note before its closing brace.
        case dot([String])
    }

    /// `held`: the caller keeps it while the next frames are rendered (see `Render.jsonBytes`).
    func rendered(_ header: FrameHeader, _ report: FrameReport, held: Bool = true) -> Rendered {
        switch format {
        case .json: return .json(Render.jsonBytes(header, report, kernel: kernel, paths: jsonParts, held: held))
        case .text:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(2048)
            let slot = Render.text(header, report, palette: palette, parts: textParts, into: &bytes)
            return .textBytes(bytes, slot: slot)
        case .bt:
            let lines = Render.backtrace(header, report, breakpoint: breakpoint, kernel: kernel)
            return .text(lines, slot: lines.count)
        case .dot, .svg:
            let way = FlowWay(report, direction: Direction(rawValue: header.dir) ?? .rx)
            return .dot(FlowDot(title: "frame \(header.number): \(header.summary)", way: way).lines())
        }
    }

    /// Appends the frame's lines with the witness's findings, each line ending in a newline.
    func write(_ r: Rendered, findings: [WitnessFinding], into out: inout [UInt8]) {
        func add(_ line: String) {
            var line = line
            line.withUTF8 { out.append(contentsOf: $0) }
            out.append(10)
        }
        switch r {
        case .json(let object):
            out += findings.isEmpty ? object : FrameListing.splice(object, witness: Array(Render.witnessJSON(findings).utf8))
            out.append(10)
        case .text(let lines, let slot):
            for l in lines[..<slot] { add(l) }
            for l in Render.witnessLines(findings, palette: palette) { add(l) }
            for l in lines[slot...] { add(l) }
        case .textBytes(let bytes, let slot):
            if findings.isEmpty { out += bytes; return }
            out += bytes[..<slot]
            for w in findings { Render.appendWitness(w, palette: palette, to: &out) }
            out += bytes[slot...]
        case .dot(let lines):
            var graph = Array(lines.dropLast())
            if !findings.isEmpty {
                let text = findings.map { "\($0.kind.rawValue): the capture shows \($0.capture); the model: \($0.model)" }.joined(separator: "\n")
                graph.append("  witness [shape=note, fillcolor=\"#fff3cd\", color=\"#b9770e\", label=\(FlowDot.quoted(FlowDot.clip(text)))];")
            }
            if let last = lines.last { graph.append(last) }
            if format == .svg {
                // Graphviz draws it; without Graphviz, the dot source and a note on stderr.
                if let svg = ReportHTML.graphviz(graph.joined(separator: "\n") + "\n") {
                    var svg = svg
                    svg.withUTF8 { out.append(contentsOf: $0) }
                    return
                }
                reportError("--format svg: Graphviz's dot is not installed (apt-get install graphviz): writing the diagram's dot source")
            }
            for l in graph { add(l) }
        }
    }

    func render(_ f: ExplainedFrame, into out: inout [UInt8]) {
        var header = f.header
        if let u = f.unsummarised {
            header.time = u.timestamp.description
            header.summary = u.bytes.withUnsafeBytes { Self.summary($0, linkType: u.linkType, wireLength: u.wireLength) }
        }
        write(rendered(header, f.report, held: false), findings: f.findings, into: &out)
    }
}

/// Takes explained frames in capture order and writes them to `out` in that order: at once
/// (`jobs` 1), or rendered in batches on `jobs - 1` threads.
final class FrameOutput {
    private let out: Output
    private let pool: RenderPool?
    private var batch: [ExplainedFrame] = []
    private var buffer: [UInt8] = []
    /// Frames a batch: each batch costs a lock round and, when a render thread waits, a wake-up
    /// (an IPI); 256 was 4% faster than 64 on the bench (JSON, --jobs 2), and 4 batches in flight
    /// stay a few MiB.
    static let batchSize = 256

    /// Whether frames go to the threads (`add(ExplainedFrame)`), summary and all; else the
    /// caller renders each at once (`renderer.rendered`) and adds that.
    var isThreaded: Bool { pool != nil }
    let renderer: FrameRenderer

    init(out: Output, renderer: FrameRenderer, jobs: Int) {
        self.out = out; self.renderer = renderer
        pool = jobs > 1 ? RenderPool(threads: jobs - 1, out: out, renderer: renderer) : nil
        batch.reserveCapacity(Self.batchSize)
    }

    /// `--jobs 1`: a frame rendered when it was explained (so the report it came from is gone,
    /// and the model's buffers are reused), now with the witness's findings.
    func add(_ frame: FrameRenderer.Rendered, findings: [WitnessFinding]) {
        if case .json(let object) = frame, findings.isEmpty {
            // The common case straight to the output's buffer (not through this one too).
            out.line(bytes: object)
            return
        }
        buffer.removeAll(keepingCapacity: true)
        renderer.write(frame, findings: findings, into: &buffer)
        out.write(bytes: buffer)
    }

    /// `--jobs` N > 1: a frame to render on one of the threads.
    func add(_ frame: consuming ExplainedFrame, findings: [WitnessFinding]) {
        guard let pool else { preconditionFailure("FrameOutput.add(ExplainedFrame) without threads: render at once and add(Rendered)") }
        frame.findings = findings
        batch.append(frame)
        if batch.count == Self.batchSize {
            pool.submit(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Every frame added is written (the threads have ended).
    func finish() {
        guard let pool else { return }
        if !batch.isEmpty { pool.submit(batch); batch = [] }
        pool.finish()
    }
}

/// Threads that render batches and write them in the order they were submitted. At most
/// `2 × threads` batches wait, so memory stays bounded however far the model runs ahead; when
/// that many wait, the submitting thread renders the oldest itself rather than wait (the model's
/// thread and the renderers each take what the other has not: on the bench their shares are
/// close, and which is ahead changes along a capture).
private final class RenderPool: @unchecked Sendable {
    // All below under `lock`, except `out` (written only by the thread whose turn it is), the
    // renderers (one each, the last the submitting thread's) and `submitterBytes` (that thread's).
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: Deque<(seq: Int, frames: [ExplainedFrame])> = []
    private var submitted = 0, written = 0
    /// Render threads waiting for a batch.
    private var idle = 0
    private var closed = false
    private let out: Output
    private let limit: Int
    private var threads: [pthread_t] = []
    private let renderers: [FrameRenderer]
    /// The submitting thread's output buffer, when it renders.
    private var submitterBytes: [UInt8] = []

    init(threads n: Int, out: Output, renderer: FrameRenderer) {
        self.out = out
        limit = 2 * n
        renderers = (0...n).map { _ in FrameRenderer(format: renderer.format, palette: renderer.palette, kernel: renderer.kernel, breakpoint: renderer.breakpoint) }
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
        for i in 0..<n {
            let context = Unmanaged.passRetained(Worker(pool: self, index: i)).toOpaque()
            var t = pthread_t()
            let rc = pthread_create(&t, nil, { context in
                let worker = Unmanaged<Worker>.fromOpaque(context!).takeRetainedValue()
                worker.pool.work(worker.index)
                return nil
            }, context)
            precondition(rc == 0, "pthread_create: \(rc)")
            threads.append(t)
        }
    }

    private final class Worker {
        let pool: RenderPool, index: Int
        init(pool: RenderPool, index: Int) { self.pool = pool; self.index = index }
    }

    func submit(_ frames: [ExplainedFrame]) {
        pthread_mutex_lock(lock)
        while submitted - written >= limit {
            if var job = queue.popFirst() {
                pthread_mutex_unlock(lock)
                renderAndWrite(&job, renderer: renderers[renderers.count - 1], bytes: &submitterBytes)
                pthread_mutex_lock(lock)
            } else {
                pthread_cond_wait(changed, lock)
            }
        }
        queue.append((submitted, frames))
        submitted += 1
        if idle > 0 { pthread_cond_broadcast(changed) }   // a futex wake per batch otherwise, waiting or not
        pthread_mutex_unlock(lock)
    }

    func finish() {
        pthread_mutex_lock(lock)
        closed = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
        for t in threads { pthread_join(t, nil) }
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(lock)
        changed.deallocate(); lock.deallocate()
    }

    private func work(_ index: Int) {
        let renderer = renderers[index]
        var bytes: [UInt8] = []
        while true {
            pthread_mutex_lock(lock)
            while queue.isEmpty && !closed { idle += 1; pthread_cond_wait(changed, lock); idle -= 1 }
            guard var job = queue.popFirst() else { pthread_mutex_unlock(lock); return }
            pthread_mutex_unlock(lock)
            renderAndWrite(&job, renderer: renderer, bytes: &bytes)
        }
    }

    /// Renders a batch (outside the lock), waits for its turn and writes it. Called without the lock.
    private func renderAndWrite(_ job: inout (seq: Int, frames: [ExplainedFrame]), renderer: FrameRenderer, bytes: inout [UInt8]) {
        bytes.removeAll(keepingCapacity: true)
        for f in job.frames { renderer.render(f, into: &bytes) }

        pthread_mutex_lock(lock)
        while written != job.seq { pthread_cond_wait(changed, lock) }
        pthread_mutex_unlock(lock)
        out.write(bytes: bytes)   // only this thread's turn writes
        pthread_mutex_lock(lock)
        written += 1
        // Freed here, on this thread: jemalloc (linked in, see Package.swift) takes a frame's
        // storage back to the model thread's arena without the lock glibc's malloc held.
        job.frames = []
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
    }
}
