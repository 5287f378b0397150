// include/net/sock.h and include/linux/udp.h — the receive side of a UDP socket: sk_rcvbuf,
// sk_rmem_alloc, sk_receive_queue and udp_sock's reader_queue with its forward deficit, sk_drops.
// The queues hold sizes (each skb's truesize), not frames: a socket's memory in the model is
// bounded by its own sk_rcvbuf, as the kernel's is.
import DequeModule
import HostModel

/// A queue of skb truesizes, run-length coded (a flood is of one size), with its total.
struct SkbSizeQueue {
    private var runs: Deque<(size: Int, count: Int)> = []
    private(set) var count = 0
    private(set) var bytes = 0

    var isEmpty: Bool { count == 0 }
    var runCount: Int { runs.count }

    mutating func append(_ size: Int) {
        if let last = runs.last, last.size == size { runs[runs.count - 1].count += 1 } else { runs.append((size, 1)) }
        count += 1; bytes += size
    }

    mutating func popFirst() -> Int? {
        guard let first = runs.first else { return nil }
        if first.count == 1 { runs.removeFirst() } else { runs[0].count -= 1 }
        count -= 1; bytes -= first.size
        return first.size
    }

    /// skb_queue_splice_tail_init(self, other).
    mutating func splice(into other: inout SkbSizeQueue) {
        for r in runs {
            if let last = other.runs.last, last.size == r.size { other.runs[other.runs.count - 1].count += r.count } else { other.runs.append(r) }
        }
        other.count += count; other.bytes += bytes
        runs = []; count = 0; bytes = 0
    }
}

/// How an application reads a UDP socket: each datagram at once, never (it piles up), or one
/// datagram every 1/rate seconds while any is queued.
public enum ReaderPolicy: Sendable, Equatable, CustomStringConvertible {
    case prompt, never
    case rate(Double)

    /// `prompt`, `never`, or `N/s` (datagrams read per second).
    public init?(argument: String) {
        switch argument {
        case "prompt": self = .prompt
        case "never": self = .never
        default:
            guard argument.hasSuffix("/s"), let r = Double(argument.dropLast(2)), r > 0, r.isFinite else { return nil }
            self = .rate(r)
        }
    }

    public var description: String {
        switch self {
        case .prompt: "prompt"
        case .never: "never"
        case .rate(let r): "\(r == r.rounded() ? String(Int(r)) : String(r))/s"
        }
    }

    /// The policy of UDP `port`: the one given for it (--reader), else `never` where the
    /// snapshot's ss showed data waiting (Recv-Q), else at once.
    public static func of(port: UInt16, given: [UInt16: ReaderPolicy], waiting: Set<UInt16>) -> ReaderPolicy {
        given[port] ?? (waiting.contains(port) ? .never : .prompt)
    }

    /// The UDP ports with data waiting in the snapshot (the application was not reading).
    public static func waitingPorts(_ host: Host) -> Set<UInt16> {
        Set(host.sockets.filter { $0.protocolKind == .udp && $0.recvQ > 0 }.map(\.localPort))
    }
}

/// The receive half of one UDP socket (struct sock, struct udp_sock), with what it saw for
/// `--stats`' load section.
final class UDPSock {
    let name: String
    /// sk_rcvbuf, and whether the snapshot's ss -m gave it (else net.core.rmem_default).
    let rcvbuf: Int
    var rcvbufFromSnapshot = false
    /// sk_rmem_alloc: the truesize of every skb queued and not yet released by a read.
    private(set) var rmemAlloc = 0
    /// sk_receive_queue (where the softirq queues) and reader_queue (what udp_recvmsg took).
    private var receiveQueue = SkbSizeQueue()
    private var readerQueue = SkbSizeQueue()
    /// udp_sock.forward_deficit: memory read but not yet given back (udp_rmem_release).
    private var forwardDeficit = 0
    let reader: ReaderPolicy
    /// The earliest time a rate-limited reader takes the next datagram.
    private var nextRead = -Double.infinity
    /// The admission rule: 6.18 accepts a datagram over sk_rcvbuf only into an empty queue;
    /// 5.4 and 6.1 while sk_rmem_alloc is still within it.
    let acceptsIntoEmptyOnly: Bool

    // What --stats reports.
    private(set) var queued = 0, read = 0, drops = 0, highWater = 0
    /// The sk_rcvbuf that would have taken every datagram (the same reader, no limit).
    private(set) var rcvbufNeeded = 0
    private var unbounded: UDPSock?

    init(name: String, rcvbuf: Int, reader: ReaderPolicy, acceptsIntoEmptyOnly: Bool, shadow: Bool = true) {
        self.name = name; self.rcvbuf = rcvbuf; self.reader = reader; self.acceptsIntoEmptyOnly = acceptsIntoEmptyOnly
        forwardThreshold = rcvbuf >> 2
        // The unlimited twin keeps this socket's forward threshold, so its reads give memory
        // back as this one's do.
        if shadow {
            let u = UDPSock(name: name, rcvbuf: Int.max, reader: reader, acceptsIntoEmptyOnly: acceptsIntoEmptyOnly, shadow: false)
            u.forwardThreshold = forwardThreshold
            unbounded = u
        }
    }

    var queuedCount: Int { receiveQueue.count + readerQueue.count }
    /// The runs its queues hold (what its memory is).
    var queueRuns: Int { receiveQueue.runCount + readerQueue.runCount }

    /// udp_sock.forward_threshold: rcvbuf / 4.
    private var forwardThreshold: Int

    /// The reads a rate-limited application made up to `time` (before this datagram came).
    func readsDue(by time: Double) -> Int {
        unbounded?.readsDue(by: time)
        guard case .rate(let r) = reader else { return 0 }
        var n = 0
        while queuedCount > 0 && nextRead <= time {
            readOne()
            nextRead += 1 / r
            n += 1
        }
        return n
    }

    /// __udp_enqueue_schedule_skb's admission: false when the queue is full (-ENOMEM).
    func admits(_ size: Int) -> Bool {
        if acceptsIntoEmptyOnly {
            // if (rmem + size > rcvbuf) { if (rcvbuf > INT_MAX >> 1) drop; if (rmem) drop; }
            return !(rmemAlloc + size > rcvbuf && (rcvbuf > Int(Int32.max) >> 1 || rmemAlloc != 0))
        }
        return rmemAlloc <= rcvbuf
    }

    /// Queues a datagram of `size` bytes of truesize arriving at `time` (the caller has
    /// checked `admits`); returns whether the application read it at once.
    func enqueue(_ size: Int, at time: Double) -> Bool {
        if let u = unbounded {
            if u.rmemAlloc > 0 || !acceptsIntoEmptyOnly { rcvbufNeeded = max(rcvbufNeeded, acceptsIntoEmptyOnly ? u.rmemAlloc + size : u.rmemAlloc) }
            _ = u.enqueue(size, at: time)
        }
        let wasEmpty = queuedCount == 0
        rmemAlloc += size
        receiveQueue.append(size)
        queued += 1
        highWater = max(highWater, rmemAlloc)
        switch reader {
        case .never: return false
        case .prompt:
            readOne()
            return true
        case .rate(let r):
            if wasEmpty { nextRead = max(nextRead, time) }
            guard nextRead <= time, queuedCount == 1 else { return false }
            readOne()
            nextRead = time + 1 / r
            return true
        }
    }

    /// A drop the full queue caused (sk_drops), and what the unlimited queue did with it.
    func dropped(_ size: Int, at time: Double) {
        drops += 1
        if let u = unbounded {
            if u.rmemAlloc > 0 || !acceptsIntoEmptyOnly { rcvbufNeeded = max(rcvbufNeeded, acceptsIntoEmptyOnly ? u.rmemAlloc + size : u.rmemAlloc) }
            _ = u.enqueue(size, at: time)
        }
    }

    /// udp_recvmsg → __skb_recv_udp: the head of reader_queue (refilled from sk_receive_queue
    /// when empty), then udp_rmem_release.
    private func readOne() {
        if readerQueue.isEmpty { receiveQueue.splice(into: &readerQueue) }
        guard let size = readerQueue.popFirst() else { return }
        read += 1
        // udp_rmem_release(sk, size, partial=1): memory goes back once the deficit reaches a
        // quarter of the buffer or the reader queue is empty.
        forwardDeficit += size
        if forwardDeficit < forwardThreshold && !readerQueue.isEmpty { return }
        rmemAlloc -= forwardDeficit
        forwardDeficit = 0
        receiveQueue.splice(into: &readerQueue)
    }
}
