// net/ipv4/ping.c — modelled: 6.18 (checked: the stack at net_dev_start_xmit), 5.4.
// An ICMP echo request from a ping socket (SOCK_DGRAM, IPPROTO_ICMP; allowed for the groups in
// net.ipv4.ping_group_range): ping_v4_sendmsg → ip_route_output_flow → ip_append_data →
// ping_v4_push_pending_frames → ip_push_pending_frames. The kernel writes the echo id (the
// socket's port) and the checksum; the model keeps the captured id.
import HostModel
import Wire

extension Kernel {
    func ping_v4_sendmsg(_ p: OutgoingPacket, options: SendOptions) {
        let f = trace.enter(.ping_v4_sendmsg); defer { trace.leave(f) }
        var message = p.payload
        let id = message.count >= 6 ? UInt16(message[4]) << 8 | UInt16(message[5]) : 0
        let bound = boundSource(p, proto: 1, bind: options.bind)
        socketDescription = "ping (SOCK_DGRAM, IPPROTO_ICMP) id \(id) → \(p.destination)" + (bound == .any ? "" : " (bound to \(bound))")
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
