// `--stats`' load section: per UDP socket, datagrams queued, read and dropped, the queue's
// high-water mark and the SO_RCVBUF that would have taken the capture; the softirq's backlog
// and budget (softnet_stat's columns); the ICMP errors the rate limits held back — and, in
// text, a "what to tune" line per finding, naming the sysctl or socket option and the value.
import Kernel

struct LoadSection {
    let load: LoadReport
    /// The run's totals of the rate-limit counters.
    let icmpHost: Int, icmp6Host: Int, icmpGlobal: Int

    var isEmpty: Bool {
        load.sockets.isEmpty && load.backlogDropped == 0 && load.ringDropped == 0 && load.timeSqueeze == 0
            && icmpHost + icmp6Host + icmpGlobal == 0
    }

    func json() -> String {
        var o = JSONObject()
        o.addObjects("sockets", load.sockets) { j, s in
            j.add("socket", s.name); j.add("rcvbuf", s.rcvbuf); j.add("rcvbuf_from", s.rcvbufFromSnapshot ? "ss" : "rmem_default")
            j.add("reader", s.reader); j.add("queued", s.queued); j.add("read", s.read); j.add("dropped", s.dropped)
            j.add("waiting", s.waiting); j.add("high_water", s.highWater); j.add("rcvbuf_needed", s.rcvbufNeeded)
        }
        var sn = JSONObject()
        sn.add("processed", load.processed); sn.add("dropped", load.backlogDropped); sn.add("time_squeeze", load.timeSqueeze)
        sn.add("ring_dropped", load.ringDropped); sn.add("peak_queue", load.peakQueue); sn.add("peak_unlimited", load.peakUnlimited)
        sn.add("netdev_max_backlog", load.netdevMaxBacklog); sn.add("netdev_budget", load.netdevBudget)
        sn.add("netdev_budget_usecs", load.netdevBudgetUsecs); sn.add("service_ns", Int((load.serviceTime * 1e9).rounded()))
        o.addRaw("softnet", sn.closed())
        var ic = JSONObject()
        ic.add("host", icmpHost); ic.add("host6", icmp6Host); ic.add("host6_no_route", load.icmp6NoRoute); ic.add("global", icmpGlobal)
        ic.add("global_may_send", load.icmpGlobalMaySend); ic.add("global_may_hold", load.icmpGlobalMayHold)
        o.addRaw("icmp_suppressed", ic.closed())
        o.addStrings("tune", tuning)
        return o.closed()
    }

    var lines: [String] {
        var out = ["load:"]
        for s in load.sockets {
            out.append("  \(s.name) (sk_rcvbuf \(s.rcvbuf) from \(s.rcvbufFromSnapshot ? "ss -m" : "net.core.rmem_default"), reader \(s.reader)): queued \(s.queued), read \(s.read), dropped \(s.dropped), waiting at the end \(s.waiting); high water \(s.highWater) bytes; "
                       + (s.rcvbufNeeded == 0 ? "any sk_rcvbuf takes them (never two queued)" : "sk_rcvbuf for no drop \(s.rcvbufNeeded)"))
        }
        out.append("  softnet: processed \(load.processed), dropped \(load.backlogDropped), time_squeeze \(load.timeSqueeze)"
                   + (load.ringDropped > 0 ? ", RX ring drops \(load.ringDropped)" : "")
                   + "; queue peak \(load.peakQueue) (\(load.peakUnlimited) without a limit) at \(serviceText) a packet; netdev_max_backlog \(load.netdevMaxBacklog), netdev_budget \(load.netdevBudget), netdev_budget_usecs \(load.netdevBudgetUsecs)")
        var icmp = "  ICMP errors suppressed: per destination \(icmpHost) (IPv4), \(icmp6Host) (IPv6"
            + (load.icmp6NoRoute > 0 ? ", \(load.icmp6NoRoute) of them for want of a route back" : "") + "); global \(icmpGlobal)"
        if load.icmpGlobalMaySend + load.icmpGlobalMayHold > 0 {
            // 6.18's icmp_global_consume spends 0–2 credits at random: the bounds of the count.
            icmp += " (between \(icmpGlobal - load.icmpGlobalMaySend) and \(icmpGlobal + load.icmpGlobalMayHold) with 6.18's random credit spend)"
        }
        out.append(icmp)
        let t = tuning
        if !t.isEmpty { out.append("what to tune:"); out += t.map { "  " + $0 } }
        return out
    }

    var serviceText: String {
        let ns = Int((load.serviceTime * 1e9).rounded())
        return ns % 1000 == 0 ? "\(ns / 1000) µs" : "\(ns) ns"
    }

    /// One line per finding, as the seed notes tune by hand.
    var tuning: [String] {
        var out: [String] = []
        for s in load.sockets where s.dropped > 0 {
            let half = (s.rcvbufNeeded + 1) / 2
            var line = "\(s.name): \(s.dropped) datagram\(s.dropped == 1 ? "" : "s") dropped, receive buffer full (UdpRcvbufErrors): "
            if s.reader == "never" {
                line += "the application never read it, so no buffer is enough — make it read (a larger buffer only delays the drops: \(s.rcvbufNeeded) bytes would have held this capture)"
            } else {
                line += "setsockopt(SO_RCVBUF, \(half)) (the kernel doubles it to \(s.rcvbufNeeded))"
                line += half > load.rmemMax ? ", above net.core.rmem_max \(load.rmemMax): raise it to \(half) or use SO_RCVBUFFORCE" : ", within net.core.rmem_max \(load.rmemMax)"
                if !s.rcvbufFromSnapshot { line += "; or net.core.rmem_default=\(s.rcvbufNeeded) for sockets that do not set it" }
            }
            out.append(line)
        }
        if load.backlogDropped > 0 {
            out.append("backlog: \(load.backlogDropped) packet\(load.backlogDropped == 1 ? "" : "s") dropped (CPU_BACKLOG, softnet_stat's dropped column): net.core.netdev_max_backlog=\(max(load.peakUnlimited, load.netdevMaxBacklog + 1)) (the queue would have reached \(load.peakUnlimited)), or spread the load over CPUs (RPS)")
        }
        if load.ringDropped > 0 {
            out.append("RX ring: \(load.ringDropped) frame\(load.ringDropped == 1 ? "" : "s") the NIC dropped (rx_missed_errors): ethtool -G <dev> rx \(min(4096, max(512, load.peakUnlimited)))")
        }
        if load.timeSqueeze > 0 {
            out.append("budget: net_rx_action ran out \(load.timeSqueeze) time\(load.timeSqueeze == 1 ? "" : "s") (time_squeeze): net.core.netdev_budget=\(load.netdevBudget * 2) and net.core.netdev_budget_usecs=\(load.netdevBudgetUsecs * 2)")
        }
        let limited = icmpHost + icmp6Host - load.icmp6NoRoute
        if limited > 0 {
            out.append("ICMP: \(limited) error\(limited == 1 ? "" : "s") held back by the per-destination limit (IcmpOutRateLimitHost): net.ipv4.icmp_ratelimit (\(load.icmpRatelimit) ms) / net.ipv6.icmp.ratelimit (\(load.icmp6Ratelimit) ms), 0 to send every one — the limit is a defence; keep it unless the errors are needed")
        }
        if icmpGlobal > 0 {
            out.append("ICMP: \(icmpGlobal) error\(icmpGlobal == 1 ? "" : "s") held back by the global limit (IcmpOutRateLimitGlobal): net.ipv4.icmp_msgs_per_sec (\(load.icmpMsgsPerSec)) and net.ipv4.icmp_msgs_burst (\(load.icmpMsgsBurst))")
        }
        return out
    }
}
