// net/ipv6/ping.c — ICMPv6 echo from a ping socket (SOCK_DGRAM, IPPROTO_ICMPV6; allowed for the
// groups in net.ipv4.ping_group_range, shared with IPv4) (6.18, 5.4):
//   ping_v6_sendmsg → ip6_sk_dst_lookup_flow → ip6_append_data → icmpv6_push_pending_frames;
//   ping's raw socket: rawv6_sendmsg → ip6_dst_lookup_flow → ip6_append_data → rawv6_push_pending_frames.
// An echo reply (icmpv6_rcv → ping_rcv) finds the socket by its echo id; none: NO_SOCKET.
import HostModel
import Wire

extension Kernel {
    /// `raw`: no ping sockets (ping_group_range): ping's raw ICMPv6 socket, rawv6_sendmsg.
    func ping_v6_sendmsg(_ p: OutgoingPacket6, options: SendOptions, raw: Bool = false) {
        let f = trace.enter(raw ? .rawv6_sendmsg : .ping_v6_sendmsg); defer { trace.leave(f) }
        let id = p.payload.count >= 6 ? UInt16(p.payload[4]) << 8 | UInt16(p.payload[5]) : 0
        if raw { rawV6Protocols.insert(58) } else { pingTable.ids6.insert(id) }
        let chosen = untraced { ip6_route_output(daddr: p.destination, saddr: nil, oif: nil, proto: 58)?.source }
        let bound = options.bind || (chosen != nil && chosen != p.source && isLocal6(p.source))
        record.socket = (raw ? "raw IPPROTO_ICMPV6 (net.ipv4.ping_group_range allows no ping sockets)" : "ping (SOCK_DGRAM, IPPROTO_ICMPV6) id \(id)")
            + " → \(p.destination)" + (bound ? " (bound to \(p.source))" : "")
        // rawv6_sendmsg looks the route up with ip6_dst_lookup_flow (no socket cache).
        let g = trace.enter(raw ? .ip6_dst_lookup_flow : .ip6_sk_dst_lookup_flow)
        let oif = p.destination.isLinkLocal || p.destination.isMulticast ? host.interfaces.first { !$0.isLoopback } : nil
        let out = ip6_route_output(daddr: p.destination, saddr: bound ? p.source : nil, oif: oif, proto: 58)
        trace.leave(g)
        guard let out else {
            counters.inc(.Ip6OutNoRoutes)
            sendFailed("ENETUNREACH", function: raw ? "ip6_dst_lookup_flow" : "ip6_sk_dst_lookup_flow", detail: "no route to \(p.destination)")
            return
        }
        let h = trace.enter(.ip6_append_data); trace.leave(h)
        if raw {
            let r = trace.enter(.rawv6_push_pending_frames); defer { trace.leave(r) }
            icmpv6_push_pending_frames(p.payload, to: p.destination, route: out, tclass: p.trafficClass, what: "sent", hopLimit: p.hopLimit,
                                       own: true, rawSocket: true)
            return
        }
        icmpv6_push_pending_frames(p.payload, to: p.destination, route: out, tclass: p.trafficClass, what: "sent", hopLimit: p.hopLimit,
                                   own: true)
    }

    /// ping_rcv for an ICMPv6 echo reply: the ping socket with its echo id, else NO_SOCKET.
    func ping_rcv6(_ skb: SKB, reply: [UInt8]) {
        let id = reply.count >= 6 ? UInt16(reply[4]) << 8 | UInt16(reply[5]) : 0
        let found = pingTable.ids6.contains(id)
        let f = trace.enter(.ping_rcv)
        if !found && profile.hasDropReasons {
            kfree_skb_reason("NO_SOCKET", detail: "ICMPv6 echo reply: no ping socket with echo id \(id)")
        }
        trace.leave(f)
        if found { consume_skb(.deliver, detail: "echo reply queued to the ping socket with echo id \(id)") }
        else if !profile.hasDropReasons { kfree_skb_reason("NO_SOCKET", detail: "ICMPv6 echo reply: no ping socket with echo id \(id)") }
    }
}
