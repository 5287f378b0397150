// net/ipv4/igmp.c — modelled: 6.18 (checked: a query and datagrams to joined and unjoined
// groups against the kernel in a namespace), 5.4 (same decisions). The groups are the device's
// multicast list (the snapshot's `ip maddr`; 224.0.0.1 on every device, as ip_mc_up joins it).
// Not modelled: the reports a query schedules (igmp_gq_start_timer / igmp_mod_timer fire after
// a random delay up to the query's maximum response time), source-specific joins.
import HostModel
import Wire

extension Kernel {
    /// ip_check_mc_rcu: has the device joined `group`? (IGMP itself: any group on the list; a
    /// datagram: an any-source join, which is what IP_ADD_MEMBERSHIP makes.)
    func ip_check_mc_rcu(_ dev: Interface, group: IPv4Address) -> Bool {
        group == .allHosts || host.hasJoined(.v4(group), on: dev.name)
    }

    /// igmp_rcv: the checksum, then by type. A query is heard (igmp_heard_query: reports for
    /// the groups it asks about are due later, none for 224.0.0.1); a v1/v2 report another host
    /// sent to a group, heard as multicast or broadcast, cancels this host's own pending report
    /// (igmp_heard_report). Either is consumed; anything else (a v3 report, a leave, a bad
    /// checksum, a unicast report) is freed as a drop, NOT_SPECIFIED.
    func igmp_rcv(_ skb: SKB) {
        let f = trace.enter(.igmp_rcv); defer { trace.leave(f) }
        let payload = skb.withIPv4 { Array($0.payload) }
        guard payload.count >= 8 else {
            kfree_skb_reason("NOT_SPECIFIED", detail: "IGMP message shorter than 8 bytes")
            return
        }
        guard skb.uncaptured > 0 || payload.withUnsafeBytes({ InternetChecksum.verifies($0) }) else {
            kfree_skb_reason("NOT_SPECIFIED", detail: "bad IGMP checksum")
            return
        }
        let group = IPv4Address(UInt32(payload[4]) << 24 | UInt32(payload[5]) << 16 | UInt32(payload[6]) << 8 | UInt32(payload[7]))
        switch payload[0] {
        case 0x11:
            let g = trace.enter(.igmp_heard_query); trace.leave(g)
            let asked = payload.count == 8 && payload[1] == 0 ? "an IGMPv1 general query"
                : group.isUnspecified ? (payload.count == 8 ? "an IGMPv2 general query" : "an IGMPv3 general query")
                : "a query for \(group)"
            let joined = host.multicast.filter { m in
                guard m.device == skb.dev.name, case .v4(let a) = m.group, a != .allHosts else { return false }
                return group.isUnspecified || a == group
            }
            consume_skb(.consume, detail: "\(asked) heard on \(skb.dev.name): "
                        + (joined.isEmpty ? "no group of this device to report" : "reports for \(joined.map { "\($0.group)" }.joined(separator: ", ")) are due within the query's response time (not modelled)"))
        case 0x12 where skb.pktType == .multicast || skb.pktType == .broadcast,
             0x16 where skb.pktType == .multicast || skb.pktType == .broadcast:
            let g = trace.enter(.igmp_heard_report); trace.leave(g)
            consume_skb(.consume, detail: "another host's report for \(group): this host's own report for it, if due, is cancelled")
        default:
            let what: String
            switch payload[0] {
            case 0x22: what = "an IGMPv3 report (only a router needs it)"
            case 0x17: what = "a leave (only a router needs it)"
            case 0x12, 0x16: what = "a report sent unicast (a router must not rely on those)"
            default: what = "IGMP type 0x\(String(payload[0], radix: 16))"
            }
            kfree_skb_reason("NOT_SPECIFIED", detail: "\(what): freed by igmp_rcv")
        }
    }
}
