// net/ipv4/ip_options.c (the receive-side checks of ip_options_compile) — modelled: 6.18
// (checked: malformed option → ICMP parameter problem, source route refused, record route
// delivered), 5.4. Rewriting options in place (record route, timestamps) is not modelled.
import Wire

struct IPOptionsResult {
    var sourceRoute = false
    /// Offset from the IP header start of the byte at fault (ICMP parameter problem pointer).
    var errorPointer: Int?
}

extension Kernel {
    func ip_options_compile(_ skb: SKB) -> IPOptionsResult {
        let f = trace.enter(.ip_options_compile); defer { trace.leave(f) }
        let header = skb.withIPv4 { Array($0.header) }
        var r = IPOptionsResult()
        var i = 20
        while i < header.count {
            let type = header[i]
            if type == IPv4Option.endOfList { break }
            if type == IPv4Option.noOperation { i += 1; continue }
            guard i + 1 < header.count else { r.errorPointer = i; return r }
            let len = Int(header[i + 1])
            if len < 2 || i + len > header.count { r.errorPointer = i; return r }
            switch type {
            case IPv4Option.recordRoute, IPv4Option.looseSourceRoute, IPv4Option.strictSourceRoute:
                if len < 3 { r.errorPointer = i + 1; return r }
                let ptr = Int(header[i + 2])
                if ptr < 4 { r.errorPointer = i + 2; return r }
                if type == IPv4Option.recordRoute {
                    if ptr <= len && ptr + 3 > len { r.errorPointer = i + 2; return r }
                } else {
                    if r.sourceRoute { r.errorPointer = i; return r }
                    r.sourceRoute = true
                }
            case IPv4Option.timestamp:
                if len < 4 { r.errorPointer = i + 1; return r }
                if Int(header[i + 2]) < 5 { r.errorPointer = i + 2; return r }
            case IPv4Option.routerAlert:
                if len != 4 { r.errorPointer = i; return r }
            default:
                break  // unknown options are ignored on receive
            }
            i += len
        }
        return r
    }

    /// ip_rcv_options: true when the packet is dropped.
    func ip_rcv_options(_ skb: SKB) -> Bool {
        let f = trace.enter(.ip_rcv_options); defer { trace.leave(f) }
        let r = ip_options_compile(skb)
        skb.sourceRouted = r.sourceRoute
        if let p = r.errorPointer {
            icmp_send(skb, type: 12, code: 0, info: UInt32(p) << 24)
            counters.inc(.IpInHdrErrors)
            // 6.1's ip_rcv_options returns a bool, and ip_rcv_finish_core drops with its NOT_SPECIFIED.
            kfree_skb_reason(profile.kernel == .v6_1 ? "NOT_SPECIFIED" : "IP_INHDR", detail: "malformed IP option at byte \(p): ICMP parameter problem")
            return true
        }
        if r.sourceRoute && !net.ipv4.conf(skb.dev).acceptSourceRoute {
            kfree_skb_reason("NOT_SPECIFIED", detail: "source route option and accept_source_route=0 on \(skb.dev.name)")
            return true
        }
        return false
    }
}
