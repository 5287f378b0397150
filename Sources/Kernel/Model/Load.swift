// What the capture's load did to the host's queues, for `--stats`: the answer to "netstat -su
// shows receive errors: why, and what do I tune?" — each UDP socket's receive queue, the
// softirq's backlog and budget, the ICMP errors the rate limits held back.
import HostModel

public struct LoadReport: Sendable {
    public struct SocketLoad: Sendable {
        public let name: String
        public let rcvbuf: Int
        public let rcvbufFromSnapshot: Bool
        public let reader: String
        public let queued: Int, read: Int, dropped: Int, waiting: Int
        /// The most bytes (truesize) the queue held, and the sk_rcvbuf that would have taken
        /// every datagram with the same reader.
        public let highWater: Int, rcvbufNeeded: Int
    }
    public let sockets: [SocketLoad]
    public let rmemDefault: Int, rmemMax: Int
    /// softnet_stat: processed, dropped (backlog), time_squeeze; the NIC's ring drops.
    public let processed: Int, backlogDropped: Int, timeSqueeze: Int, ringDropped: Int
    public let peakQueue: Int, peakUnlimited: Int
    public let netdevMaxBacklog: Int, netdevBudget: Int, netdevBudgetUsecs: Int, serviceTime: Double
    /// ICMP errors the global limit held back (mean draw), and those another draw of 6.18's
    /// random 0–2 credit spend could have decided the other way.
    public let icmpGlobalMaySend: Int, icmpGlobalMayHold: Int
    /// Of the IPv6 per-destination count, those held for want of a route back.
    public let icmp6NoRoute: Int
    public let icmpRatelimit: Int, icmp6Ratelimit: Int, icmpMsgsPerSec: Int, icmpMsgsBurst: Int
}

extension Kernel {
    public func loadReport() -> LoadReport {
        let socks = udpTable.order.compactMap { udpTable.socks[$0] }.map { s in
            LoadReport.SocketLoad(name: s.name, rcvbuf: s.rcvbuf, rcvbufFromSnapshot: s.rcvbufFromSnapshot,
                                  reader: s.reader.description, queued: s.queued, read: s.read, dropped: s.drops, waiting: s.queuedCount,
                                  highWater: s.highWater, rcvbufNeeded: s.rcvbufNeeded)
        }
        let s = net.ipv4.sysctl
        return LoadReport(sockets: socks, rmemDefault: rmemDefault, rmemMax: host.sysctls.int("net.core.rmem_max") ?? 212_992,
                          processed: softnet.processed, backlogDropped: softnet.dropped, timeSqueeze: softnet.timeSqueeze,
                          ringDropped: softnet.ringDrops, peakQueue: softnet.peakQueue, peakUnlimited: softnet.peakUnlimited,
                          netdevMaxBacklog: netdevMaxBacklog, netdevBudget: netdevBudget, netdevBudgetUsecs: netdevBudgetUsecs,
                          serviceTime: serviceTime, icmpGlobalMaySend: icmpGlobalUncertain.maySend, icmpGlobalMayHold: icmpGlobalUncertain.mayHold, icmp6NoRoute: icmp6NoRouteHeld,
                          icmpRatelimit: s.icmpRatelimit, icmp6Ratelimit: icmpv6Ratelimit,
                          icmpMsgsPerSec: s.icmpMsgsPerSec, icmpMsgsBurst: s.icmpMsgsBurst)
    }
}

extension Kernel {
    /// The sk_rcvbuf that would have taken every datagram the socket named `name` (a report's
    /// `socket`) was sent so far, with its reader: its unlimited twin's figure.
    public func rcvbufNeeded(socket name: String) -> Int? {
        udpTable.socks[name].map { $0.rcvbufNeeded }
    }
}
