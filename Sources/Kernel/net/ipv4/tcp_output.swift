// net/ipv4/tcp_output.c, with tcp_v4_connect (tcp_ipv4.c) and tcp_sendmsg / tcp_shutdown
// (tcp.c) — modelled: 6.18 (checked: the stacks of connect's SYN, a send's data and shutdown's
// FIN at net_dev_start_xmit, and connect's three FIB lookups), 5.4 (same shape, unchecked).
// The segment goes out as the capture shows it (sequence numbers, window and options are the
// socket's state, which the capture is the only witness of); the model recomputes its checksum.
//
//   connect  → inet_stream_connect → tcp_v4_connect → tcp_connect → tcp_transmit_skb
//   send     → tcp_sendmsg → tcp_sendmsg_locked → tcp_push → __tcp_push_pending_frames → tcp_write_xmit
//   shutdown → inet_shutdown → tcp_shutdown ⇢ tcp_send_fin ⇢ __tcp_push_pending_frames (tail calls)
//   a bare ACK: read() opening the window → tcp_cleanup_rbuf → tcp_send_ack (unchecked)
//   a SYN again → tcp_write_timer → tcp_retransmit_timer → tcp_retransmit_skb (unchecked)
//   a RST: close() with SO_LINGER 0 → tcp_close → __tcp_close → tcp_send_active_reset (unchecked)
//   each → __tcp_transmit_skb → ip_queue_xmit → __ip_queue_xmit → ip_local_out
import HostModel
import Wire

extension Kernel {
    func tcp_send(_ p: OutgoingPacket) {
        let seg = p.payload
        let flags = TCPFlags(rawValue: UInt16(seg[12] & 0x01) << 8 | UInt16(seg[13]))
        let hlen = Int(seg[12] >> 4) * 4
        let sport = UInt16(seg[0]) << 8 | UInt16(seg[1]), dport = UInt16(seg[2]) << 8 | UInt16(seg[3])
        let key = TCPKey(peer: p.destination, peerPort: dport, local: p.source, localPort: sport)
        let segment = Self.checksummedSegment(p)
        record.socket = "tcp \(p.source):\(sport) → \(p.destination):\(dport)"
        // tcp_set_skb_tso_segs: a send longer than one segment (TSO) is as many as mss_now — the
        // path MTU less the headers — cuts it into.
        let mtu = tcpHashinfo.dstCache[key]?.mtu ?? tcpHashinfo.connections[key]?.txRoute?.dev.mtu ?? 1500
        let mss = max(1, mtu - p.headerLength - hlen)
        let segments = max(1, (seg.count - hlen + mss - 1) / mss)
        let transmit = { self.tcp_transmit_skb(p, segment: segment, key: key, segments: segments) }
        let seq = UInt32(seg[4]) << 24 | UInt32(seg[5]) << 16 | UInt32(seg[6]) << 8 | UInt32(seg[7])
        if !flags.contains(.syn), !flags.contains(.rst), var c = tcpHashinfo.connections[key], c.state != .synSent, c.state != .synRecv {
            tcp_sent(&c, seq: seq, dataLength: seg.count - hlen, flags: flags, segments: segments, mss: mss)
            tcpHashinfo.connections[key] = c
        }
        if flags.contains(.syn) && !flags.contains(.ack), let c = tcpHashinfo.connections[key], c.state == .synSent, c.isn == seq {
            // The same SYN again: the retransmit timer (no answer came within the RTO).
            tcp_retransmit_timer(p, segment: segment, key: key)
        } else if flags.contains(.syn) && !flags.contains(.ack) {
            syscall("connect") {
                let f = trace.enter(.__sys_connect); defer { trace.leave(f) }
                inet_stream_connect { tcp_v4_connect(p, key: key, transmit) }
            }
        } else if flags.contains(.rst) {
            syscall("close") {
                let f = trace.enter(.__fput); defer { trace.leave(f) }
                let g = trace.enter(.sock_close); defer { trace.leave(g) }
                let h = trace.enter(.inet_release); defer { trace.leave(h) }
                let i = trace.enter(.tcp_close); defer { trace.leave(i) }
                let j = trace.enter(.__tcp_close); defer { trace.leave(j) }
                let k = trace.enter(.tcp_send_active_reset); defer { trace.leave(k) }
                counters.inc(.TcpOutRsts)
                transmit()
            }
        } else if seg.count > hlen {
            sendSyscall(.sendto) {
                inet_sendmsg {
                    let f = trace.enter(.tcp_sendmsg); defer { trace.leave(f) }
                    let g = trace.enter(.tcp_sendmsg_locked); defer { trace.leave(g) }
                    let h = trace.enter(.tcp_push); defer { trace.leave(h) }
                    __tcp_push_pending_frames(transmit)
                }
            }
        } else if flags.contains(.fin) {
            syscall("shutdown") {
                let f = trace.enter(.__sys_shutdown); defer { trace.leave(f) }
                inet_shutdown {
                    let g = trace.enter(.tcp_shutdown); defer { trace.leave(g) }
                    trace.tailCall(from: g) {
                        let h = trace.enter(.tcp_send_fin); defer { trace.leave(h) }
                        trace.tailCall(from: h) { __tcp_push_pending_frames(transmit) }
                    }
                }
            }
        } else {
            syscall("recvfrom") {
                let f = trace.enter(.__sys_recvfrom); defer { trace.leave(f) }
                let g = trace.enter(.inet_recvmsg); defer { trace.leave(g) }
                let h = trace.enter(.tcp_recvmsg); defer { trace.leave(h) }
                let i = trace.enter(.tcp_cleanup_rbuf); defer { trace.leave(i) }
                let j = trace.enter(.tcp_send_ack); defer { trace.leave(j) }
                let k = trace.enter(.__tcp_send_ack); defer { trace.leave(k) }
                transmit()
            }
        }
    }

    /// What a segment the capture shows the host sending on a connection does to it: data and a
    /// FIN advance snd_nxt and wait to be acknowledged (tcp_event_new_data_sent counts them
    /// TCPOrigDataSent); data sent within ato of the last received enters pingpong mode
    /// (tcp_event_data_sent); a FIN moves ESTABLISHED to FIN_WAIT1 and CLOSE_WAIT to LAST_ACK
    /// (both leave ESTABLISHED); the ACK it carries pays what was owed. The application read
    /// what waited before it answered (as `tracer verify`'s does).
    func tcp_sent(_ c: inout TCPConnection, seq: UInt32, dataLength: Int, flags: TCPFlags, segments: Int, mss: Int) {
        c.unreadBytes = 0
        let end = seq &+ UInt32(dataLength) &+ (flags.contains(.fin) ? 1 : 0)
        if seqAfter(end, seq) {
            if seqAfter(end, c.sndNxt) {
                c.sndNxt = end
                c.unacked.append(SentSKB(start: seq, end: end, segments: segments, mss: mss))
                counters.inc(.TcpExtTCPOrigDataSent, by: segments)
            }
            if dataLength > 0, now - c.lrcvtime < c.ato { c.pingpong += 1 }
        }
        if flags.contains(.fin) {
            switch c.state {
            case .established: c.state = .finWait1
            case .closeWait: c.state = .lastAck
            default: break
            }
        }
        if flags.contains(.ack) { tcp_event_ack_sent(&c) }
    }

    /// The packet's TCP segment with its checksum computed (the capture may show it unfinished).
    static func checksummedSegment(_ p: OutgoingPacket) -> [UInt8] {
        var segment = p.payload
        segment[16] = 0; segment[17] = 0
        let sum = IPv4Header(source: p.source, destination: p.destination, protocol: .tcp).pseudoHeaderSum(length: segment.count)
        let c = segment.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0, initial: sum)) }
        segment[16] = UInt8(c >> 8); segment[17] = UInt8(c & 0xff)
        return segment
    }

    /// tcp_v4_connect: ip_route_connect looks the route up for the source address (an unbound
    /// socket's chosen first by __ip_route_output_key), then ip_route_newports once the port is
    /// chosen; then tcp_connect sends the SYN.
    func tcp_v4_connect(_ p: OutgoingPacket, key: TCPKey, _ transmit: () -> Void) {
        let f = trace.enter(.tcp_v4_connect); defer { trace.leave(f) }
        let bound = boundSource(p, proto: 6, dport: key.peerPort)
        var fl = Flow(source: bound, destination: p.destination, iif: nil, oif: nil, tos: p.tos & 0x1c, proto: 6, sport: 0, dport: key.peerPort)
        var result: Result<OutputRoute, FibError>
        do {
            let g = trace.enter(.ip_route_connect); defer { trace.leave(g) }
            if bound == .any {
                result = __ip_route_output_key(fl)
                if case .success(let r) = result {
                    fl.source = r.source
                    result = ip_route_output_flow(fl)
                }
            } else {
                result = ip_route_output_flow(fl)
            }
        }
        if case .success = result {
            let g = trace.enter(.ip_route_newports); defer { trace.leave(g) }
            fl.sport = key.localPort
            result = ip_route_output_flow(fl)
        }
        switch result {
        case .failure(let e):
            if e.errno == ENETUNREACH { counters.inc(.IpOutNoRoutes) }
            sendFailed(Self.errnoName(e.errno), function: "tcp_v4_connect", detail: routeFailure(e, to: p.destination))
        case .success(let r):
            tcpHashinfo.dstCache[key] = r
            // tcp_set_state(TCP_SYN_SENT): the SYN-ACK finds this socket.
            var c = TCPConnection(connecting: p.payload, route: r, sentAt: now)
            c.syn = p
            tcpHashinfo.connections[key] = c
            let g = trace.enter(.tcp_connect); defer { trace.leave(g) }
            counters.inc(.TcpActiveOpens)
            transmit()
        }
    }

    func __tcp_push_pending_frames(_ transmit: () -> Void) {
        let f = trace.enter(.__tcp_push_pending_frames); defer { trace.leave(f) }
        let g = trace.enter(.tcp_write_xmit); defer { trace.leave(g) }
        transmit()
    }

    /// tcp_write_timer → tcp_retransmit_timer: the oldest unacknowledged segment goes again
    /// (a SYN the peer did not answer). __tcp_transmit_skb does not count a segment that sends
    /// nothing new as OutSegs; __tcp_retransmit_skb counts RetransSegs.
    func tcp_retransmit_timer(_ p: OutgoingPacket, segment: [UInt8], key: TCPKey) {
        record.socket = "tcp \(p.source):\(key.localPort) → \(p.destination):\(key.peerPort) SYN_SENT (retransmission)"
        let t = trace.enter(.call_timer_fn); defer { trace.leave(t) }
        let f = trace.enter(.tcp_write_timer); defer { trace.leave(f) }
        let g = trace.enter(.tcp_write_timer_handler); defer { trace.leave(g) }
        let h = trace.enter(.tcp_retransmit_timer); defer { trace.leave(h) }
        counters.inc(.TcpExtTCPTimeouts)
        // tcp_write_timeout → sk_rethink_txhash: a new flow hash for the path, counted.
        counters.inc(.TcpExtTcpTimeoutRehash)
        let i = trace.enter(.tcp_retransmit_skb); defer { trace.leave(i) }
        let j = trace.enter(.__tcp_retransmit_skb); defer { trace.leave(j) }
        counters.inc(.TcpRetransSegs)
        if p.payload[13] & 0x02 != 0 { counters.inc(.TcpExtTCPSynRetrans) }
        tcp_transmit_skb(p, segment: segment, key: key, retransmit: true)
    }

    func tcp_transmit_skb(_ p: OutgoingPacket, segment: [UInt8], key: TCPKey, retransmit: Bool = false, segments: Int = 1) {
        let f = trace.enter(.tcp_transmit_skb); defer { trace.leave(f) }
        let g = trace.enter(.__tcp_transmit_skb); defer { trace.leave(g) }
        if !retransmit { counters.inc(.TcpOutSegs, by: segments) }
        ip_queue_xmit(p, segment: segment, key: key)
    }
}
