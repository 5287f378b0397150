// struct softnet_data (include/linux/netdevice.h, net/core/dev.c) — modelled: 6.18, 5.4, on the
// capture's clock. The receive softirq's queue, one CPU's: veth (and any netif_rx driver)
// queues to the CPU's backlog (enqueue_to_backlog: beyond net.core.netdev_max_backlog,
// CPU_BACKLOG and softnet_stat's dropped column); a NAPI driver's frames wait in its RX ring
// (e1000: 256 descriptors; a full ring is the NIC's drop, rx_missed_errors, no skb at all).
// net_rx_action polls for at most net.core.netdev_budget packets or netdev_budget_usecs before
// it leaves the rest to ksoftirqd (time_squeeze).
//
// A capture does not show how fast the CPU is: each packet costs the stated service time
// (`--service-time`, 1 µs by default), and packets queue when they arrive faster than that.
// A capture taken on the host itself (Linux cooked: SLL, SLL2) saw each frame in
// __netif_receive_skb_core, after the backlog and the ring: it shows only frames that got
// through, so no frame of it is dropped here.
import DequeModule
import HostModel

final class SoftnetData {
    /// When each packet still queued (backlog or ring) is done with, in arrival order, in
    /// nanoseconds on the queue clock: at most netdev_max_backlog + 1 or the ring's size.
    /// (Integers: a flood's arrivals and completions meet exactly, as the kernel's do.)
    private var completions: Deque<Int64> = []
    private var lastCompletion = Int64.min
    /// The net_rx_action round in progress: when it began and how many packets it took.
    private var roundStart = Int64.min, roundCount = 0

    /// softnet_stat's columns: processed, dropped (backlog), time_squeeze; and the NIC's drops.
    private(set) var processed = 0, dropped = 0, timeSqueeze = 0, ringDrops = 0
    /// The longest queue seen, and the longest the arrivals would have made without a limit
    /// (the same service, nothing dropped: its queue is one busy period's arithmetic, so only
    /// its last completion is kept).
    private(set) var peakQueue = 0, peakUnlimited = 0
    private var lastUnlimited = Int64.min

    /// A packet arriving at `time` (seconds on the queue clock) on a queue of at most `limit`
    /// (drop when more are queued, `strictlyMore`: enqueue_to_backlog's `qlen > max_backlog`;
    /// a ring drops when full). Returns the queue length it found, or nil when it was dropped.
    func arrive(at time: Double, service: Double, limit: Int, strictlyMore: Bool,
                budget: Int, budgetTime: Double) -> Int? {
        let t = Int64((time * 1e9).rounded()), s = max(1, Int64((service * 1e9).rounded()))
        let pendingUnlimited = lastUnlimited > t ? Int((lastUnlimited - t + s - 1) / s) : 0
        peakUnlimited = max(peakUnlimited, pendingUnlimited + 1)
        lastUnlimited = max(t, lastUnlimited) + s
        while let c = completions.first, c <= t { completions.removeFirst() }
        let qlen = completions.count
        if strictlyMore ? qlen > limit : qlen >= limit { return nil }
        let start = max(t, lastCompletion)
        let done = start + s
        if t >= lastCompletion {
            roundStart = start; roundCount = 1
        } else {
            roundCount += 1
            if roundCount > budget || Double(done - roundStart) / 1e9 > budgetTime {
                timeSqueeze += 1
                roundStart = start; roundCount = 1
            }
        }
        completions.append(done)
        lastCompletion = done
        processed += 1
        peakQueue = max(peakQueue, qlen + 1)
        return qlen
    }

    /// netdev_max_backlog, netdev_budget, netdev_budget_usecs: read at the first frame.
    private var cachedLimits: (maxBacklog: Int, budget: Int, budgetUsecs: Int)?
    func limits(_ host: Host) -> (maxBacklog: Int, budget: Int, budgetUsecs: Int) {
        if let l = cachedLimits { return l }
        let l = (host.sysctls.int("net.core.netdev_max_backlog") ?? 1000, host.sysctls.int("net.core.netdev_budget") ?? 300,
                 host.sysctls.int("net.core.netdev_budget_usecs") ?? 2000)
        cachedLimits = l
        return l
    }

    func droppedAtBacklog() { dropped += 1 }
    func droppedAtRing() { ringDrops += 1 }
}

extension Kernel {
    /// net.core sysctls the softirq reads (global, not per namespace), read once per host.
    var netdevMaxBacklog: Int { softnet.limits(host).maxBacklog }
    var netdevBudget: Int { softnet.limits(host).budget }
    var netdevBudgetUsecs: Int { softnet.limits(host).budgetUsecs }
    /// e1000's RX ring: E1000_DEFAULT_RXD (ethtool -G changes it; a snapshot does not say).
    static let e1000RxDescriptors = 256

    /// enqueue_to_backlog's check: false when the backlog is full (the caller drops the skb).
    func backlogAdmits(_ skb: SKB) -> Bool {
        softnetAdmits(skb, limit: netdevMaxBacklog, strictlyMore: true) ?? { softnet.droppedAtBacklog(); return false }()
    }

    /// The RX ring's room for a frame of a NAPI driver: false when the NIC had no descriptor.
    func ringAdmits(_ skb: SKB, descriptors: Int) -> Bool {
        softnetAdmits(skb, limit: descriptors, strictlyMore: false) ?? { softnet.droppedAtRing(); return false }()
    }

    /// True when the queue takes the frame (or is not timed), nil when it is full.
    private func softnetAdmits(_ skb: SKB, limit: Int, strictlyMore: Bool) -> Bool? {
        if skb.tappedOnHost || serviceTime <= 0 {
            softnet.countUnqueued()
            return true
        }
        return softnet.arrive(at: queueNow, service: serviceTime, limit: limit, strictlyMore: strictlyMore,
                              budget: netdevBudget, budgetTime: Double(netdevBudgetUsecs) / 1e6) != nil ? true : nil
    }
}

extension SoftnetData {
    /// A packet the queue model does not time (a host-side capture, no service time).
    func countUnqueued() { processed += 1 }
}
