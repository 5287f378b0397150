// net/ipv4/raw.c — modelled: 6.18, 5.4. `ss -tuna` lists no raw sockets, so a snapshot host has
// none; raw_local_deliver runs and finds nothing.
import HostModel
import Wire

/// raw_v4_hashinfo: the raw sockets the host's own sends opened, by protocol (an ICMP socket:
/// ping without ping sockets); each takes a copy of what arrives for its protocol.
final class RawHashinfo {
    var protocols: Set<UInt8> = []
}

extension Kernel {
    /// True when a raw socket took a copy.
    func raw_local_deliver(_ skb: SKB, proto: UInt8) -> Bool {
        let f = trace.enter(.raw_local_deliver); defer { trace.leave(f) }
        return rawV4Hashinfo.protocols.contains(proto) || host.sockets.contains { $0.protocolKind == .raw && Int($0.localPort) == Int(proto) }
    }
}

// The sending half — modelled: 6.18 (checked: the stack of an IP_HDRINCL send at
// net_dev_start_xmit), 5.4. raw_sendmsg routes with the socket's protocol (IPPROTO_RAW for
// IP_HDRINCL); raw_send_hdrinc takes the caller's header as it is (filling in a zero source and
// the checksum), refuses more than the device MTU (EMSGSIZE), and runs LOCAL_OUT itself, without
// ip_local_out (so no IpOutRequests). Without IP_HDRINCL (an ICMP socket) the data goes through
// ip_append_data and ip_push_pending_frames like a ping socket's.
extension Kernel {
    func raw_sendmsg(_ p: OutgoingPacket, hdrincl: Bool, options: SendOptions) {
        let f = trace.enter(.raw_sendmsg); defer { trace.leave(f) }
        let rt: OutputRoute
        switch ip_route_output_flow(Flow(source: .any, destination: p.destination, iif: nil, oif: multicastInterface(p.destination), tos: p.tos & 0x1c, proto: hdrincl ? 255 : p.proto)) {
        case .failure(let e):
            sendFailed(Self.errnoName(e.errno), function: "ip_route_output_flow", detail: routeFailure(e, to: p.destination))
            return
        case .success(let r): rt = r
        }
        if !hdrincl { rawV4Hashinfo.protocols.insert(p.proto) }
        if hdrincl {
            raw_send_hdrinc(p, route: rt)
        } else {
            guard ip_append_data(p, transport: p.payload, route: rt, options: options) else { return }
            ip_push_pending_frames(p, transport: p.payload, route: rt, options: options)
        }
    }

    func raw_send_hdrinc(_ p: OutgoingPacket, route rt: OutputRoute) {
        let f = trace.enter(.raw_send_hdrinc); defer { trace.leave(f) }
        if p.bytes.count > rt.dev.mtu {
            let g = trace.enter(.ip_local_error); trace.leave(g)
            sendFailed("EMSGSIZE", function: "raw_send_hdrinc", detail: "\(p.bytes.count) bytes over the \(rt.dev.mtu)-byte MTU of \(rt.dev.name) (IP_HDRINCL packets are not fragmented here)")
            return
        }
        var packet = p.bytes
        if p.source == .any { packet[12...15] = rt.source.bytes[...] }
        packet[10] = 0; packet[11] = 0
        let c = packet[..<p.headerLength].withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
        packet[10] = UInt8(c >> 8); packet[11] = UInt8(c & 0xff)
        if p.proto == 1, p.bytes.count >= p.headerLength + 8 { icmp_out_count(packet[p.headerLength]) }
        let skb = OutputSKB(packet: packet, dev: rt.dev, nextHop: rt.nextHop, mtu: rt.mtu, broadcast: rt.type == .broadcast, multicast: rt.type == .multicast)
        var passed = false
        NF_HOOK(NFHookState(hook: .localOut, outdev: rt.dev, outgoing: packet), tail: false) { passed = true; dst_output(skb, tail: false) }
        if !passed { netfilterRefusedSend() }   // raw_send_hdrinc's error: IpOutDiscards, the errno
    }
}
