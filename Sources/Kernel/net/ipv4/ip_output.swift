// net/ipv4/ip_output.c — modelled: 6.18 (checked: stacks at net_dev_start_xmit for UDP, ping,
// raw and TCP sends, fragments cut by ip_do_fragment), 5.4 (the seed notes' two transmit
// backtraces). The output half every packet takes, the host's own and forwarded ones:
//
//   ip_local_out → __ip_local_out → nf_hook(LOCAL_OUT) → dst_output → ip_output
//   ip_output → NF_HOOK_COND(POST_ROUTING) → ip_finish_output → __ip_finish_output
//     → ip_finish_output2 | ip_finish_output_gso | ip_fragment → ip_do_fragment → ip_finish_output2
//   ip_finish_output2 → neigh_output (net/core/neighbour.c) → dev_queue_xmit (net/core/dev.c)
//
// ip_local_out ends in a tail call of dst_output (no frame of it on either kernel's stacks), and
// so does __ip_finish_output (5.4's gdb shows ip_finish_output calling ip_finish_output2).
import HostModel
import Wire

/// An skb on its way out, with what the output path reads from it and its dst.
struct OutputSKB {
    var packet: [UInt8]
    var dev: Interface?
    var nextHop: IPv4Address
    /// ip_skb_dst_mtu; nil: the device MTU.
    var mtu: Int? = nil
    /// skb->ignore_df: a local socket below IP_PMTUDISC_DO may be fragmented despite DF.
    var ignoreDF = false
    /// Built by __ip_append_data as a frag_list of MTU-sized pieces: ip_do_fragment's fast path.
    var fragList = false
    /// gso_size of a TCP segment larger than the MTU (TSO/GSO: the device cuts it).
    var gsoSize: Int? = nil
    /// The route is a broadcast one (RTN_BROADCAST).
    var broadcast = false
    /// The route is a multicast one (RTN_MULTICAST).
    var multicast = false
    /// IPCB frag_max_size of a datagram conntrack reassembled: it leaves cut as it came.
    var fragMaxSize: Int? = nil
}

extension Kernel {
    /// ip_local_out for packets this host makes (ICMP, RST, SYN-ACK): LOCAL_OUT, then ip_output.
    func ip_local_out(_ packet: [UInt8], dev: Interface?, nextHop: IPv4Address) {
        ip_local_out(OutputSKB(packet: packet, dev: dev, nextHop: nextHop))
    }

    /// False when LOCAL_OUT dropped the packet (the caller's -EPERM: nf_hook_slow returns
    /// NF_DROP_GETERR(verdict), -EPERM for a plain drop).
    @discardableResult
    func ip_local_out(_ skb: OutputSKB) -> Bool {
        let f = trace.enter(.ip_local_out); defer { trace.leave(f) }
        guard __ip_local_out(skb) else { return false }
        // Inlined into ip_send_skb (6.18), whose error check follows the call: dst_output is a
        // tail call only where ip_local_out has a frame of its own.
        dst_output(takeNATRewrite(skb), tail: !profile.isInlined(.ip_local_out, into: trace.caller(of: f)))
        return true
    }

    /// Counts the request, sets tot_len and the header checksum, runs LOCAL_OUT.
    func __ip_local_out(_ skb: OutputSKB) -> Bool {
        let f = trace.enter(.__ip_local_out); defer { trace.leave(f) }
        if !profile.countsIPOutAtOutput { counters.inc(.IpOutRequests) }
        return nf_hook(NFHookState(hook: .localOut, outdev: skb.dev, outgoing: skb.packet))
    }

    /// dst_output: skb_dst(skb)->output, which is ip_output for every route modelled. Inlined
    /// into ip_local_out, whose last act this indirect call is: a jump, so neither frame stays
    /// (`tail`). As NF_HOOK's okfn in raw_send_hdrinc it is an ordinary call.
    func dst_output(_ skb: OutputSKB, tail: Bool = true) {
        let f = trace.enter(.dst_output); defer { trace.leave(f) }
        if tail { trace.tailCall(from: f) { ip_output(skb) } } else { ip_output(skb) }
    }

    func ip_output(_ packet: [UInt8], dev: Interface?, nextHop: IPv4Address, forwarded: Bool, mtu: Int? = nil) {
        ip_output(OutputSKB(packet: packet, dev: dev, nextHop: nextHop, mtu: mtu))
    }

    func ip_output(_ skb: OutputSKB) {
        let f = trace.enter(.ip_output); defer { trace.leave(f) }
        if profile.countsIPOutAtOutput {
            counters.inc(.IpOutRequests)
            counters.inc(.IpExtOutOctets, by: skb.packet.count)
        }
        NF_HOOK_COND(NFHookState(hook: .postRouting, outdev: skb.dev, outgoing: skb.packet), tail: false) {   // okfn ip_finish_output is inlined: no call
            let g = trace.enter(.ip_finish_output); defer { trace.leave(g) }
            // 6.1 builds ip_finish_output on its own, and its usual way out is a jump to
            // __ip_finish_output (which jumps to ip_finish_output2): gdb's bt in the guest shows
            // ip_finish_output2 right under ip_output. 5.4's gdb shows ip_finish_output's frame.
            let out = { self.__ip_finish_output(self.takeNATRewrite(skb)) }
            if profile.kernel == .v6_1 { trace.tailCall(from: g, out) } else { out() }
        }
    }

    func __ip_finish_output(_ skb: OutputSKB) {
        let f = trace.enter(.__ip_finish_output); defer { trace.leave(f) }
        let mtu = skb.mtu ?? skb.dev?.mtu ?? 1500
        trace.tailCall(from: f) {
            if let gso = skb.gsoSize {
                ip_finish_output_gso(skb, mtu: mtu, gsoSize: gso)
            } else if skb.packet.count > mtu || skb.fragMaxSize != nil {
                ip_fragment(skb, mtu: mtu)
            } else {
                ip_finish_output2(skb)
            }
        }
    }

    /// A GSO packet whose segments fit the MTU goes out whole; the device (TSO) or
    /// validate_xmit_skb cuts it into gso_size segments.
    func ip_finish_output_gso(_ skb: OutputSKB, mtu: Int, gsoSize: Int) {
        let f = trace.enter(.ip_finish_output_gso); defer { trace.leave(f) }
        ip_finish_output2(skb)
    }

    /// ip_fragment: a packet over the MTU. With DF it is cut only when the socket allows
    /// (skb->ignore_df); else fragmentation needed goes back to the sender.
    func ip_fragment(_ skb: OutputSKB, mtu: Int) {
        let f = trace.enter(.ip_fragment); defer { trace.leave(f) }
        if skb.packet[6] & 0x40 != 0 && !skb.ignoreDF {
            counters.inc(.IpFragFails)
            kfree_skb_reason("NOT_SPECIFIED", detail: "\(skb.packet.count) bytes with DF over the \(mtu)-byte MTU: cannot fragment")
            return
        }
        // A reassembled datagram is cut no larger than its largest fragment was.
        ip_do_fragment(skb, mtu: min(mtu, skb.fragMaxSize ?? mtu))
    }

    /// ip_do_fragment: fragments of (MTU − header) & ~7 bytes at their offsets; MF on all but the
    /// last unless the packet was itself a non-last fragment; options a fragment must not carry
    /// (not "copied") become NOPs after the first (ip_options_fragment). A frag_list built by
    /// __ip_append_data takes the fast path, whose cuts are the same and which frees nothing;
    /// the slow path copies into new skbs and frees the original (consume_skb).
    func ip_do_fragment(_ skb: OutputSKB, mtu: Int) {
        let f = trace.enter(.ip_do_fragment); defer { trace.leave(f) }
        let packet = skb.packet
        let hlen = Int(packet[0] & 0x0f) * 4
        let origOffset = (Int(packet[6] & 0x1f) << 8 | Int(packet[7])) * 8
        let origMore = packet[6] & 0x20 != 0
        let data = Array(packet[hlen...])
        let step = (mtu - hlen) & ~7
        let laterHeader = ip_options_fragment(Array(packet[..<hlen]))
        var pos = 0
        var pieces: [String] = []
        while pos < data.count {
            let len = min(step, data.count - pos)
            var h = pos == 0 ? Array(packet[..<hlen]) : laterHeader
            let more = pos + len < data.count || origMore
            let off = (origOffset + pos) / 8
            let total = hlen + len
            h[2] = UInt8(total >> 8); h[3] = UInt8(total & 0xff)
            h[6] = (h[6] & 0x40) | (more ? 0x20 : 0) | UInt8((off >> 8) & 0x1f)
            h[7] = UInt8(off & 0xff)
            h[10] = 0; h[11] = 0
            let c = h.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
            h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xff)
            var piece = skb
            piece.packet = h + data[pos..<(pos + len)]
            ip_finish_output2(piece)
            counters.inc(.IpFragCreates)
            pieces.append("\(origOffset + pos)+\(len)\(more ? " MF" : "")")
            pos += len
        }
        counters.inc(.IpFragOKs)
        let ip = packet.withUnsafeBytes { IPv4Packet.parseFixedHeader($0).value! }
        let name = "\(ip.source) > \(ip.destination) id 0x" + String(ip.ident, radix: 16)
        record.fragment = FragmentReport(datagram: name, offset: origOffset, length: data.count, more: origMore, outcome: "fragmented",
                                        detail: "\(pieces.count) fragments for the \(mtu)-byte MTU of \(skb.dev?.name ?? "?") (offset+length): "
                                            + pieces.joined(separator: ", ") + (skb.fragList ? " (fast path: the socket's frag_list)" : ""))
        if !skb.fragList {
            sideEnd("consume_skb", reason: nil)
            releaseFragList()
        }
    }

    /// ip_options_fragment: the header of the second and later fragments, where each option
    /// without the copied flag is overwritten with NOPs.
    func ip_options_fragment(_ header: [UInt8]) -> [UInt8] {
        var h = header
        var i = 20
        while i < h.count {
            let t = h[i]
            if t == 0 { break }
            if t == 1 { i += 1; continue }
            let len = i + 1 < h.count ? max(2, Int(h[i + 1])) : 1
            if t & 0x80 == 0 { for j in i..<min(h.count, i + len) { h[j] = 1 } }
            i += len
        }
        return h
    }

    /// Counts the packet out and hands it to the neighbour for its next hop.
    func ip_finish_output2(_ skb: OutputSKB) {
        let f = trace.enter(.ip_finish_output2); defer { trace.leave(f) }
        guard let dev = skb.dev else { return }
        if skb.multicast {
            counters.inc(.IpExtOutMcastPkts)
            counters.inc(.IpExtOutMcastOctets, by: skb.packet.count)
        } else if skb.broadcast {
            counters.inc(.IpExtOutBcastPkts)
            counters.inc(.IpExtOutBcastOctets, by: skb.packet.count)
        }
        if !profile.countsIPOutAtOutput {
            if profile.hasIpOutTransmits { counters.inc(.IpOutTransmits) }
            counters.inc(.IpExtOutOctets, by: skb.packet.count)
        }
        neigh_output(skb, dev: dev)
    }

    /// Runs `body` for a packet this host makes (a reply, an ARP request): the hooks it crosses
    /// and the frames it puts on the wire are labelled `what`.
    func emitting(_ what: String, _ body: () -> Void) {
        let outer = emittingPacket
        emittingPacket = what
        body()
        emittingPacket = outer
    }

    /// ip_make_skb (an uncorked UDP send): __ip_append_data lays the data out in MTU-sized
    /// pieces, __ip_make_skb puts the IP header on. Nil when the socket call fails (EMSGSIZE).
    func ip_make_skb(_ p: OutgoingPacket, transport: [UInt8], route rt: OutputRoute, options: SendOptions) -> OutputSKB? {
        let f = trace.enter(.ip_make_skb); defer { trace.leave(f) }
        let mtu = options.pmtudisc.usesPMTU ? rt.mtu : rt.dev.mtu
        guard __ip_append_data(length: transport.count, headerLength: p.headerLength, mtu: mtu, destination: p.destination, options: options) else { return nil }
        return __ip_make_skb(p, transport: transport, route: rt, mtu: mtu, options: options)
    }

    /// ip_append_data (ping and raw sockets, and corked UDP): the same layout, queued on the socket.
    func ip_append_data(_ p: OutgoingPacket, transport: [UInt8], route rt: OutputRoute, options: SendOptions) -> Bool {
        let f = trace.enter(.ip_append_data); defer { trace.leave(f) }
        let mtu = options.pmtudisc.usesPMTU ? rt.mtu : rt.dev.mtu
        return __ip_append_data(length: transport.count, headerLength: p.headerLength, mtu: mtu, destination: p.destination, options: options)
    }

    /// The size check of __ip_append_data: at IP_PMTUDISC_DO or PROBE nothing over the MTU may be
    /// sent (EMSGSIZE, and ip_local_error queues the MTU for IP_RECVERR); below, up to IP_MAX_MTU.
    func __ip_append_data(length: Int, headerLength: Int, mtu: Int, destination: IPv4Address, options: SendOptions) -> Bool {
        let f = trace.enter(.__ip_append_data); defer { trace.leave(f) }
        let maxNonFragSize = options.pmtudisc.ignoresDF ? 0xFFF0 : mtu
        if length > maxNonFragSize - headerLength {
            let g = trace.enter(.ip_local_error); trace.leave(g)
            sendFailed("EMSGSIZE", function: "__ip_append_data",
                       detail: "\(length) bytes do not fit the \(maxNonFragSize - headerLength) the "
                        + (options.pmtudisc.ignoresDF ? "IP maximum leaves" : "\(mtu)-byte MTU to \(destination) leaves, and the socket forbids fragments (\(options.pmtudisc.constantName))"))
            return false
        }
        return true
    }

    /// __ip_make_skb: the IP header. DF at IP_PMTUDISC_DO and PROBE, and at WANT when the
    /// datagram fits the path MTU and the route MTU is not locked (ip_dont_fragment).
    func __ip_make_skb(_ p: OutgoingPacket, transport: [UInt8], route rt: OutputRoute, mtu: Int, options: SendOptions) -> OutputSKB {
        let f = trace.enter(.__ip_make_skb); defer { trace.leave(f) }
        let total = p.headerLength + transport.count
        let df: Bool
        switch options.pmtudisc {
        case .do, .probe: df = true
        case .want: df = total <= rt.mtu && !rt.mtuLocked
        case .dont: df = false
        }
        var h = p.header
        h[1] = p.tos
        h[2] = UInt8(total >> 8); h[3] = UInt8(total & 0xff)
        h[6] = df ? 0x40 : 0; h[7] = 0
        h[8] = p.ttl
        h[12...15] = rt.source.bytes[...]
        h[10] = 0; h[11] = 0
        let c = h.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
        h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xff)
        if p.proto == 1, let type = transport.first { icmp_out_count(type) }
        return OutputSKB(packet: h + transport, dev: rt.dev, nextHop: rt.nextHop, mtu: mtu, ignoreDF: options.pmtudisc.ignoresDF,
                         fragList: total > mtu, broadcast: rt.type == .broadcast, multicast: rt.type == .multicast)
    }

    /// ip_send_skb: ip_local_out for an skb a socket built.
    /// ip_send_skb: an error from ip_local_out (netfilter's EPERM) counts IpOutDiscards and is
    /// what the socket call returns (udp_sendmsg, raw_sendmsg, ping_v4_sendmsg pass it on).
    @discardableResult
    func ip_send_skb(_ skb: OutputSKB) -> Bool {
        let f = trace.enter(.ip_send_skb); defer { trace.leave(f) }
        if !ip_local_out(skb) { netfilterRefusedSend(); return false }
        return true
    }

    /// A send LOCAL_OUT dropped: IpOutDiscards, and the call fails with EPERM. The frame's end
    /// stays the kernel's (kfree_skb NETFILTER_DROP in nft_do_chain); its verdict is the errno.
    func netfilterRefusedSend(v6: Bool = false) {
        counters.inc(v6 ? .Ip6OutDiscards : .IpOutDiscards)
        guard let e = record.end, e.verdict.action == .drop else { return }
        record.end?.verdict = Verdict(action: .fail, reason: e.verdict.reason, function: e.verdict.function,
                                      detail: "LOCAL_OUT dropped it (\(e.verdict.detail)): the call returns EPERM, nothing is sent",
                                      errno: "EPERM")
    }

    /// ip_push_pending_frames: the socket's queued data as one skb (ip_finish_skb →
    /// __ip_make_skb), sent by ip_send_skb.
    func ip_push_pending_frames(_ p: OutgoingPacket, transport: [UInt8], route rt: OutputRoute, options: SendOptions) {
        let f = trace.enter(.ip_push_pending_frames); defer { trace.leave(f) }
        let mtu = options.pmtudisc.usesPMTU ? rt.mtu : rt.dev.mtu
        let skb = __ip_make_skb(p, transport: transport, route: rt, mtu: mtu, options: options)
        ip_send_skb(skb)
    }

    /// ip_queue_xmit (TCP's queue_xmit): __ip_queue_xmit with the socket's TOS, its one statement
    /// and so a tail call where it has a body of its own (6.1: the guest's function tracer enters
    /// it, and no stack shows it); 6.18's build inlines it.
    func ip_queue_xmit(_ p: OutgoingPacket, segment: [UInt8], key: TCPKey) {
        let q = trace.enter(.ip_queue_xmit); defer { trace.leave(q) }
        if profile.isInlined(.ip_queue_xmit) {
            __ip_queue_xmit(p, segment: segment, key: key)
        } else {
            trace.tailCall(from: q) { __ip_queue_xmit(p, segment: segment, key: key) }
        }
    }

    /// __ip_queue_xmit (TCP): the socket's cached route, else ip_route_output_ports; DF unless
    /// the route MTU is locked; then ip_local_out.
    func __ip_queue_xmit(_ p: OutgoingPacket, segment: [UInt8], key: TCPKey) {
        let f = trace.enter(.__ip_queue_xmit); defer { trace.leave(f) }
        let rt: OutputRoute
        if let cached = tcpHashinfo.dstCache[key] {
            rt = cached
            outputRoute = cached.report
        } else {
            let g = trace.enter(.ip_route_output_ports); defer { trace.leave(g) }
            switch ip_route_output_flow(Flow(source: p.source, destination: p.destination, iif: nil, oif: nil, tos: p.tos & 0x1c, proto: 6,
                                             sport: key.localPort, dport: key.peerPort)) {
            case .failure(let e):
                counters.inc(.IpOutNoRoutes)
                sendFailed(Self.errnoName(e.errno), function: "__ip_queue_xmit", detail: "no route to \(p.destination)")
                return
            case .success(let r): rt = r; tcpHashinfo.dstCache[key] = r
            }
        }
        var h = p.header
        let total = p.headerLength + segment.count
        h[2] = UInt8(total >> 8); h[3] = UInt8(total & 0xff)
        h[6] = rt.mtuLocked ? 0 : 0x40; h[7] = 0
        h[10] = 0; h[11] = 0
        let c = h.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
        h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xff)
        var skb = OutputSKB(packet: h + segment, dev: rt.dev, nextHop: rt.nextHop, mtu: rt.mtu)
        if total > rt.mtu { skb.gsoSize = rt.mtu - p.headerLength - Int(segment[12] >> 4) * 4 }
        ip_local_out(skb)
    }
}
