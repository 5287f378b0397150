// net/ipv4/ping.c — modelled: 6.18 (checked: the stack at net_dev_start_xmit), 5.4.
// An ICMP echo request from a ping socket (SOCK_DGRAM, IPPROTO_ICMP; allowed for the groups in
// net.ipv4.ping_group_range): ping_v4_sendmsg → ip_route_output_flow → ip_append_data →
// ping_v4_push_pending_frames → ip_push_pending_frames. The kernel writes the echo id (the
// socket's port) and the checksum; the model keeps the captured id.
import HostModel
import Wire

/// ping_table: the ping sockets (SOCK_DGRAM, IPPROTO_ICMP) the host's echo requests came from,
/// by echo id.
final class PingTable {
    var ids: Set<UInt16> = []
    /// IPv6's (ping_v6_sendmsg's sockets).
    var ids6: Set<UInt16> = []
}

extension Kernel {
    func ping_v4_sendmsg(_ p: OutgoingPacket, options: SendOptions) {
        let f = trace.enter(.ping_v4_sendmsg); defer { trace.leave(f) }
        var message = p.payload
        let id = message.count >= 6 ? UInt16(message[4]) << 8 | UInt16(message[5]) : 0
        pingTable.ids.insert(id)
        let bound = boundSource(p, proto: 1, bind: options.bind)
        record.socket = "ping (SOCK_DGRAM, IPPROTO_ICMP) id \(id) → \(p.destination)" + (bound == .any ? "" : " (bound to \(bound))")
            + ", \(options.pmtudisc.constantName)"
        let rt: OutputRoute
        switch ip_route_output_flow(Flow(source: bound, destination: p.destination, iif: nil, oif: multicastInterface(p.destination), tos: p.tos & 0x1c, proto: 1)) {
        case .failure(let e):
            if e.errno == ENETUNREACH { counters.inc(.IpOutNoRoutes) }
            sendFailed(Self.errnoName(e.errno), function: "ip_route_output_flow", detail: routeFailure(e, to: p.destination))
            return
        case .success(let r): rt = r
        }
        message[2] = 0; message[3] = 0
        let c = message.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
        message[2] = UInt8(c >> 8); message[3] = UInt8(c & 0xff)
        guard ip_append_data(p, transport: message, route: rt, options: options) else { return }
        let g = trace.enter(.ping_v4_push_pending_frames); defer { trace.leave(g) }
        ip_push_pending_frames(p, transport: message, route: rt, options: options)
    }
}

// The receiving half: icmp_rcv hands an echo reply to ping_rcv, which looks the ping socket up
// by the echo id (ping_lookup) and queues a clone to it; the original is then consumed by
// icmp_rcv. No ping socket: SKB_DROP_REASON_NO_SOCKET (6.18 frees it in ping_rcv; 6.1's returns
// the reason for icmp_rcv to free it with; 5.4's returns false and icmp_rcv frees it without a
// reason). A raw ICMP socket (ping without ping sockets) took its
// copy earlier, in raw_local_deliver, and does not stop the drop.
extension Kernel {
    func ping_rcv(_ skb: SKB, reply: [UInt8], rawCopy: Bool) {
        let id = UInt16(reply[4]) << 8 | UInt16(reply[5])
        let found = pingTable.ids.contains(id)
        let drop = { self.kfree_skb_reason("NO_SOCKET", detail: "no ping socket with echo id \(id)" + (rawCopy ? " (a raw ICMP socket took its copy)" : "")) }
        let f = trace.enter(.ping_rcv)
        // 6.18: skb:kfree_skb names ping_rcv as the location (seen live); 6.1's ping_rcv returns
        // the reason and icmp_rcv frees it (its guest: icmp-echo-answered); 5.4 frees it in
        // icmp_rcv, without a reason.
        let freesItself = profile.kernel == .v6_18
        if !found && freesItself { drop() }
        trace.leave(f)
        if found { consume_skb(.deliver, detail: "echo reply queued to the ping socket with echo id \(id)") }
        else if !freesItself { drop() }
    }
}
