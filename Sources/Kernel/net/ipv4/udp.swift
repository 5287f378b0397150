// net/ipv4/udp.c — modelled: 6.18 (checked: delivered, closed port, bad checksum, broadcast,
// multicast to a joined group with and without a socket, a full receive buffer), 5.4.
// The receive queue: __udp_enqueue_schedule_skb charges each skb's truesize to sk_rmem_alloc
// against sk_rcvbuf (the snapshot's `ss -m` rb, else net.core.rmem_default); a full queue drops
// with SOCKET_RCVBUFF (UdpRcvbufErrors and UdpInErrors). UdpInDatagrams is counted when the
// application reads (udp_recvmsg): by default each datagram is read at once, as a running
// service does (the counter moves with the frame); a socket whose reader is `never`
// (--reader PORT=never, or a Recv-Q in the snapshot's ss) leaves it queued, and one read at a
// rate (--reader PORT=N/s) takes one every 1/N s on the capture's clock.
import HostModel
import Wire

/// udp_table: the UDP sockets the host's own sends opened (replay), by local address and port,
/// so ICMP errors about them find a socket; and each socket's receive side, made when its
/// first datagram comes.
final class UDPTable {
    var bound: Set<SocketKey> = []
    /// The ports the host's own IPv6 sends went from.
    var bound6: Set<UInt16> = []
    /// The ports whose application was not reading when the snapshot was taken (Recv-Q).
    var waitingPorts: Set<UInt16> = []
    /// The receive side of each socket datagrams reached, by its name.
    var socks: [String: UDPSock] = [:]
    /// Their names in the order they were first reached (--stats lists them so).
    var order: [String] = []
    /// sk->sk_rx_dst: the input route of the last datagram a socket took (udp_sk_rx_dst_set), by
    /// its name; udp_v4_early_demux gives it to the next one.
    var rxDst: [String: InputRoute] = [:]
    /// The same for IPv6 sockets (udp6_sk_rx_dst_set; udp_v6_early_demux reads it).
    var rxDst6: [String: Route6] = [:]
    /// The snapshot's connect(2)ed UDP sockets (ss's ESTAB, IPv4 and IPv6): all early demux
    /// looks at for a unicast datagram (most hosts have none: nothing to look at).
    var connected: [Socket] = []
}

/// The socket a UDP lookup found: how it is named in the verdict, and its ss line when the
/// snapshot listed it (nil: one the capture showed the host sending from).
struct UDPLookup: CustomStringConvertible {
    let name: String
    let socket: Socket?
    var description: String { name }

    init(name: String, socket: Socket?) { self.name = name; self.socket = socket }
    /// A socket of the snapshot, named by its local address and port (and a connected one's
    /// peer), as an IPv4 lookup (`v6`: an IPv6 one, addresses in brackets) found it.
    init(_ s: Socket, v6: Bool = false) {
        let at = { (a: String, p: UInt16) in v6 ? "[\(a)]:\(p)" : "\(a):\(p)" }
        let peer = s.remoteAddress.map { " → " + at($0.description, s.remotePort ?? 0) } ?? ""
        self.init(name: "udp " + at(s.localAddress?.description ?? (v6 ? "::" : "0.0.0.0"), s.localPort) + peer, socket: s)
    }
}

extension Socket {
    /// A connect(2)ed socket (ss's ESTAB) whose peer is `peer`:`port`: the only datagrams it takes.
    func isConnected(to peer: IPAddress, port: UInt16) -> Bool {
        state == "ESTAB" && remoteAddress == peer && remotePort == port
    }
}

extension Kernel {
    func __udp4_lib_rcv(_ skb: SKB) {
        let f = trace.enter(.__udp4_lib_rcv); defer { trace.leave(f) }
        let (src, dst, payload, pseudo) = skb.withIPv4 { ($0.source, $0.destination, Array($0.payload), $0.pseudoHeaderSum(length: $0.payload.count)) }
        guard payload.count >= 8 else {
            counters.inc(.UdpInErrors)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "\(payload.count) bytes: shorter than a UDP header")
            return
        }
        let (sport, dport, ulen, check) = payload.withUnsafeBytes { b -> (UInt16, UInt16, Int, UInt16) in
            let u = UDPDatagram.parse(b).value!
            return (u.sourcePort, u.destinationPort, Int(u.length), u.checksum)
        }
        if ulen > payload.count || ulen < 8 {
            counters.inc(.UdpInErrors)
            kfree_skb_reason("PKT_TOO_SMALL", detail: "UDP length \(ulen) does not fit the \(payload.count)-byte payload")
            return
        }
        // udp4_csum_init → skb_checksum_init_zero_check: nothing to verify for CHECKSUM_PARTIAL.
        let csumOK = check == 0 || skb.ipSummed == .partial || skb.uncaptured > 0 || payload.prefix(ulen).withUnsafeBytes { InternetChecksum.verifies($0, initial: pseudo - UInt64(payload.count) + UInt64(ulen)) }
        // udp_v4_early_demux tied the datagram to its socket (skb_steal_sock): that socket takes
        // it, multicast or not, and keeps its route for the next (udp_sk_rx_dst_set).
        if let sk = skb.earlyDemuxSocket {
            skb.earlyDemuxSocket = nil
            // A short datagram's bad sum was refused by udp4_csum_init already; a longer one's is
            // finished once the socket has it (at once here, as on the lookup's path below).
            if csumOK || ulen > 76, let rt = skb.dst { udpTable.rxDst[sk.name] = rt }
            guard csumOK else { return udpChecksumError(check) }
            record.socket = sk.name
            let kind = dst.isMulticast ? "multicast datagram to \(dst)" : "datagram"
            udp_unicast_rcv_skb(skb, sk: sk, port: dport, what: "\(kind) queued to \(sk) (\(ulen - 8) bytes from \(src):\(sport); the socket udp_v4_early_demux found)", tailCalledFrom: f)
            return
        }
        if skb.dst?.isBroadcast == true || dst.isMulticast {
            // Every socket on the port gets a copy (IP_MULTICAST_ALL: a group any socket joined
            // on the device reaches them all); none: UdpIgnoredMulti, and no ICMP error.
            let g = trace.enter(.__udp4_lib_mcast_deliver); defer { trace.leave(g) }
            let kind = dst.isMulticast ? "multicast datagram to \(dst)" : "broadcast datagram"
            if let s = udp_lookup(dst: dst, dport: dport, dev: skb.dev), csumOK {
                record.socket = s.name
                udp_queue_rcv_one_skb(skb, sk: s, port: dport, v6: false, what: "\(kind) queued to \(s)", function: "__udp4_lib_mcast_deliver")
            } else {
                counters.inc(.UdpIgnoredMulti)
                kfree_skb_reason("NOT_SPECIFIED", detail: "\(kind) to port \(dport): no socket (no ICMP for \(dst.isMulticast ? "multicast" : "broadcasts"))")
            }
            return
        }
        // udp4_csum_init verifies a datagram of up to CHECKSUM_BREAK (76) bytes at once; a longer
        // one's sum is finished after the socket lookup (udp_lib_checksum_complete).
        let checkedEarly = ulen <= 76
        // __udp4_lib_lookup_skb (inline) → __udp4_lib_lookup: the socket.
        let sk: UDPLookup? = !csumOK && checkedEarly ? nil : {
            let g = trace.enter(.__udp4_lib_lookup); defer { trace.leave(g) }
            return udp_lookup(dst: dst, dport: dport, dev: skb.dev, src: src, sport: sport)
        }()
        guard csumOK else { return udpChecksumError(check) }
        if let sk {
            record.socket = sk.name
            // 6.18: `return udp_unicast_rcv_skb(...)`, a tail call (its stack traces show
            // udp_unicast_rcv_skb right above ip_protocol_deliver_rcu); 6.1's build calls it
            // (gdb's bt in the guest: __udp4_lib_rcv under udp_unicast_rcv_skb).
            udp_unicast_rcv_skb(skb, sk: sk, port: dport, what: "queued to \(sk) (\(ulen - 8) bytes from \(src):\(sport))", tailCalledFrom: f)
            return
        }
        counters.inc(.UdpNoPorts)
        icmp_send(skb, type: 3, code: 3, info: 0)
        kfree_skb_reason("NO_SOCKET", detail: "no socket on UDP port \(dport): ICMP port unreachable")
    }

    /// csum_error: UdpInCsumErrors, UdpInErrors, the datagram dropped.
    func udpChecksumError(_ check: UInt16) {
        counters.inc(.UdpInCsumErrors)
        counters.inc(.UdpInErrors)
        kfree_skb_reason("UDP_CSUM", detail: "bad UDP checksum 0x\(String(check, radix: 16))")
    }

    func udp_unicast_rcv_skb(_ skb: SKB, sk: UDPLookup, port: UInt16, what: String, tailCalledFrom f: CallTrace.Frame) {
        let body = {
            let g = self.trace.enter(.udp_unicast_rcv_skb); defer { self.trace.leave(g) }
            let h = self.trace.enter(.udp_queue_rcv_skb); defer { self.trace.leave(h) }
            let one = { self.udp_queue_rcv_one_skb(skb, sk: sk, port: port, v6: false, what: what, function: "__udp_enqueue_schedule_skb") }
            // 6.1 builds udp_queue_rcv_skb on its own and leaves it by a jump to
            // udp_queue_rcv_one_skb (`return udp_queue_rcv_one_skb(sk, skb)`: gdb's bt shows
            // udp_unicast_rcv_skb right under it); 6.18 inlines it.
            if self.profile.kernel == .v6_1 { self.trace.tailCall(from: h, one) } else { one() }
        }
        if profile.kernel == .v6_18 { trace.tailCall(from: f, body) } else { body() }
    }

    /// udp_queue_rcv_one_skb / udpv6_queue_rcv_one_skb → __udp(v6)_queue_rcv_skb →
    /// __udp_enqueue_schedule_skb: the datagram is charged to the socket's receive buffer, or
    /// dropped when that is full; then the application's side (udp_recvmsg).
    func udp_queue_rcv_one_skb(_ skb: SKB, sk: UDPLookup, port: UInt16, v6: Bool, what: String, function: String) {
        let f = trace.enter(v6 ? .udpv6_queue_rcv_one_skb : .udp_queue_rcv_one_skb); defer { trace.leave(f) }
        let g = trace.enter(v6 ? .__udpv6_queue_rcv_skb : .__udp_queue_rcv_skb); defer { trace.leave(g) }
        let sock = udp_sock(sk, port: port)
        let earlier = sock.readsDue(by: now)
        if earlier > 0 { counters.inc(v6 ? .Udp6InDatagrams : .UdpInDatagrams, by: earlier) }
        let readBefore = earlier > 0 ? "; the application read \(earlier) queued datagram\(earlier == 1 ? "" : "s") since the last one came (\(v6 ? "Udp6InDatagrams" : "UdpInDatagrams"))" : ""
        let size = skb.truesize
        let admitted: Bool
        do {
            let h = trace.enter(.__udp_enqueue_schedule_skb); defer { trace.leave(h) }
            admitted = sock.admits(size)
        }
        guard admitted else {
            sock.dropped(size, at: now)
            counters.inc(v6 ? .Udp6RcvbufErrors : .UdpRcvbufErrors)
            counters.inc(v6 ? .Udp6InErrors : .UdpInErrors)
            kfree_skb_reason("SOCKET_RCVBUFF", detail: "\(sk)'s receive buffer is full: \(sock.rmemAlloc) bytes queued (\(sock.queuedCount) datagram\(sock.queuedCount == 1 ? "" : "s")), this one's truesize \(size), sk_rcvbuf \(sock.rcvbuf) (\(rcvbufSource(sk)))\(readBefore)")
            return
        }
        let readNow = sock.enqueue(size, at: now)
        let read: String
        if readNow {
            counters.inc(v6 ? .Udp6InDatagrams : .UdpInDatagrams)
            // The read frees the datagram; 6.18 hands it back to the CPU that allocated it
            // (skb_attempt_defer_free), freed with its fragment list at that CPU's next softirq —
            // a time no frame says, so those frees are not reported (verify leaves them out too).
            // 6.1 frees it at once (skb_consume_udp → __consume_stateless_skb), its frag_list by
            // kfree_skb_list: kfree_skb NOT_SPECIFIED at skb_release_data, as its guest shows.
            if profile.kernel == .v6_1 { releaseFragList() } else { currentFragmentsMerged = 0 }
            read = "read by the application (udp_recvmsg: \(v6 ? "Udp6InDatagrams" : "UdpInDatagrams"))"
        } else {
            let why: String
            switch sock.reader {
            case .never: why = "the application does not read this socket (\(readerSource(port: port)))"
            case .rate(let r): why = "the application reads \(ReaderPolicy.rate(r)) and is busy"
            case .prompt: why = ""
            }
            read = "not read yet: \(why); \(sock.rmemAlloc) of sk_rcvbuf \(sock.rcvbuf) bytes queued (\(sock.queuedCount) datagram\(sock.queuedCount == 1 ? "" : "s"))"
        }
        handedOff(.deliver, function: function, detail: "\(what), truesize \(size); \(read)\(readBefore)")
    }

    /// The receive side of `sk`, made at its first datagram: sk_rcvbuf from the snapshot's
    /// `ss -m` (rb), else net.core.rmem_default.
    func udp_sock(_ sk: UDPLookup, port: UInt16) -> UDPSock {
        if let s = udpTable.socks[sk.name] { return s }
        let s = UDPSock(name: sk.name, rcvbuf: sk.socket?.rcvbuf ?? rmemDefault, reader: readerPolicy(port: port),
                        acceptsIntoEmptyOnly: profile.kernel == .v6_18)
        s.rcvbufFromSnapshot = sk.socket?.rcvbuf != nil
        udpTable.socks[sk.name] = s
        udpTable.order.append(sk.name)
        return s
    }

    /// net.core.rmem_default (212992 unless the snapshot says otherwise).
    var rmemDefault: Int { host.sysctls.int("net.core.rmem_default") ?? 212_992 }

    func rcvbufSource(_ sk: UDPLookup) -> String {
        sk.socket?.rcvbuf != nil ? "the snapshot's ss -m" : "net.core.rmem_default"
    }

    /// How the application on UDP `port` reads: a --reader given for it, else `never` when the
    /// snapshot's ss showed data waiting on that port (Recv-Q), else at once.
    func readerPolicy(port: UInt16) -> ReaderPolicy {
        ReaderPolicy.of(port: port, given: readers, waiting: udpTable.waitingPorts)
    }

    func readerSource(port: UInt16) -> String {
        readers[port] != nil ? "--reader \(port)=\(readers[port]!)" : "the snapshot's ss shows a Recv-Q on port \(port)"
    }

    /// The host's UDP sockets a datagram to `dst`:`dport` on `dev` from `src`:`sport` matches
    /// (compute_score above -1): an exact local address or the wildcard, bound to the arrival
    /// device if bound at all, and unconnected (ss's UNCONN) or connect(2)ed to src:sport (ESTAB;
    /// none of those without a source).
    func udpCandidates(dst: IPv4Address, dport: UInt16, dev: Interface, src: IPv4Address? = nil, sport: UInt16? = nil) -> [Socket] {
        host.sockets.filter { s in
            guard s.protocolKind == .udp && s.localPort == dport && (s.boundDevice == nil || s.boundDevice == dev.name) && s.isOpen(at: now)
                    && (s.localAddress == nil || s.localAddress == .v4(dst)) else { return false }
            if s.state == "UNCONN" { return true }
            guard let src, let sport else { return false }
            return s.isConnected(to: .v4(src), port: sport)
        }
    }

    /// __udp4_lib_demux_lookup / __udp6_lib_demux_lookup: the connected socket with exactly this
    /// address and port pair (INET_MATCH, INET6_MATCH), which only a connect(2)ed socket has.
    func udpConnectedSocket(local: IPAddress, port: UInt16, peer: IPAddress, peerPort: UInt16, dev: Interface) -> Socket? {
        udpTable.connected.first { s in
            s.localPort == port && s.localAddress == local && s.isConnected(to: peer, port: peerPort)
                && (s.boundDevice == nil || s.boundDevice == dev.name) && s.isOpen(at: now)
        }
    }

    /// udp_v4_early_demux (ip_rcv_finish_core, for a UDP datagram that is not a fragment, while
    /// ip_early_demux and udp_early_demux are on): a datagram in a link-layer multicast frame to
    /// a group its device joined (ip_check_mc_rcu), which exactly one socket on the port would
    /// take (__udp4_lib_mcast_demux_lookup; IP_MULTICAST_ALL lets a socket that did not join it
    /// match), is tied to that socket; the socket's cached input route (sk_rx_dst, which
    /// __udp4_lib_rcv set from its previous datagram) then spares the route lookup, the source
    /// checked again for an unconnected socket (ip_mc_validate_source). A unicast datagram
    /// (PACKET_HOST) is tied only to a connected socket whose peer sent it
    /// (__udp4_lib_demux_lookup), whose cached route then spares the lookup too (a connected
    /// socket's source is not checked again). The 6.1 guest's function trace shows both
    /// datagrams of mcast-joined taking the socket this way, the second without a route lookup.
    /// Not modelled: a hash slot of over 10 sockets is not scanned.
    func udp_v4_early_demux(_ skb: SKB) -> DropReason? {
        let f = trace.enter(.udp_v4_early_demux); defer { trace.leave(f) }
        if skb.pktType == .host {
            guard !udpTable.connected.isEmpty else { return nil }
            let (src, dst, sport, dport) = skb.withIPv4 { ($0.source, $0.destination, $0.payload.count >= 4 ? $0.payload.u16(0) : 0, $0.payload.count >= 4 ? $0.payload.u16(2) : 0) }
            guard let s = udpConnectedSocket(local: .v4(dst), port: dport, peer: .v4(src), peerPort: sport, dev: skb.dev) else { return nil }
            let sk = UDPLookup(s)
            skb.earlyDemuxSocket = sk
            if let cached = udpTable.rxDst[sk.name] { skb.dst = cached }
            return nil
        }
        guard skb.pktType == .multicast else { return nil }
        let (src, dst, tos, dport) = skb.withIPv4 { ($0.source, $0.destination, $0.tos, $0.payload.count >= 4 ? $0.payload.u16(2) : 0) }
        guard ip_check_mc_rcu(skb.dev, group: dst) else { return nil }
        let candidates = udpCandidates(dst: dst, dport: dport, dev: skb.dev)
        guard candidates.count == 1, let s = candidates.first else { return nil }
        let sk = UDPLookup(s)
        skb.earlyDemuxSocket = sk
        guard let cached = udpTable.rxDst[sk.name] else { return nil }
        skb.dst = cached
        return ip_mc_validate_source(skb, daddr: dst, saddr: src, tos: tos)
    }

    /// The socket a datagram to dst:dport (from src:sport) goes to: the connected one whose peer
    /// sent it, else the one bound to the exact address, else the wildcard's.
    func udp_lookup(dst: IPv4Address, dport: UInt16, dev: Interface, src: IPv4Address? = nil, sport: UInt16? = nil) -> UDPLookup? {
        let candidates = udpCandidates(dst: dst, dport: dport, dev: dev, src: src, sport: sport)
        // compute_score: a connected socket's peer counts, then a bound address.
        let best = candidates.first { $0.remoteAddress != nil } ?? candidates.first { $0.localAddress != nil } ?? candidates.first
        if best == nil, udpTable.bound.contains(SocketKey(local: dst, port: dport)) {
            // The capture shows the host sending from this port: an application's socket is bound there.
            return UDPLookup(name: "udp \(dst):\(dport) (the socket the host was seen sending from)", socket: nil)
        }
        return best.map { UDPLookup($0) }
    }
}

// The sending half of net/ipv4/udp.c — modelled: 6.18 (checked: the stack at
// net_dev_start_xmit, fragments and EMSGSIZE against the kernel in a namespace), 5.4 (the seed
// notes' backtraces). udp_sendmsg → ip_route_output_flow → ip_make_skb (uncorked: the lockless
// path; MSG_MORE/UDP_CORK would take ip_append_data) → udp_send_skb → ip_send_skb.
extension Kernel {
    func udp_sendmsg(_ p: OutgoingPacket, options: SendOptions) {
        let f = trace.enter(.udp_sendmsg); defer { trace.leave(f) }
        let datagram = p.payload
        let sport = UInt16(datagram[0]) << 8 | UInt16(datagram[1])
        let dport = UInt16(datagram[2]) << 8 | UInt16(datagram[3])
        let data = Array(datagram[8...])
        udpTable.bound.insert(SocketKey(local: p.source, port: sport))
        // The socket is bound to the source address only when the route would not choose it.
        let bound = boundSource(p, proto: 17, sport: sport, dport: dport, bind: options.bind)
        record.socket = "udp \(p.source):\(sport) → \(p.destination):\(dport)" + (bound == .any ? "" : " (bound to \(bound))")
            + ", \(options.pmtudisc.constantName)"
        let rt: OutputRoute
        switch ip_route_output_flow(Flow(source: bound, destination: p.destination, iif: nil, oif: multicastInterface(p.destination), tos: p.tos & 0x1c, proto: 17, sport: sport, dport: dport)) {
        case .failure(let e):
            if e.errno == ENETUNREACH { counters.inc(.IpOutNoRoutes) }
            sendFailed(Self.errnoName(e.errno), function: "ip_route_output_flow", detail: routeFailure(e, to: p.destination))
            return
        case .success(let r): rt = r
        }
        var header = UDPHeader(sourcePort: sport, destinationPort: dport)
        header.checksumOverride = nil
        let pseudo = IPv4Header(source: rt.source, destination: p.destination, protocol: .udp)
        let transport = header.emit(payload: data, pseudoHeader: pseudo.pseudoHeaderSum)
        guard let skb = ip_make_skb(p, transport: transport, route: rt, options: options) else { return }
        udp_send_skb(skb)
    }

    func udp_send_skb(_ skb: OutputSKB) {
        let f = trace.enter(.udp_send_skb); defer { trace.leave(f) }
        // UdpOutDatagrams only when ip_send_skb succeeded (an EPERM from netfilter counts nothing
        // here; ENOBUFS, not modelled, would be UdpSndbufErrors).
        if ip_send_skb(skb), record.end?.verdict.action != .drop { counters.inc(.UdpOutDatagrams) }
    }

    /// The address a socket sending `p` is bound to: none (0.0.0.0) when the route picks the
    /// packet's own source anyway, else that source. Decided without tracing (the kernel makes
    /// one lookup, with the socket's binding).
    func boundSource(_ p: OutgoingPacket, proto: UInt8, sport: UInt16 = 0, dport: UInt16 = 0, bind: Bool = false) -> IPv4Address {
        if bind { return p.source }
        let fl = Flow(source: .any, destination: p.destination, iif: nil, oif: nil, tos: p.tos & 0x1c, proto: proto, sport: sport, dport: dport)
        let chosen = untraced { () -> IPv4Address? in
            guard case .success(let r) = ip_route_output_flow(fl) else { return nil }
            return r.source
        }
        return chosen == nil || chosen == p.source ? .any : p.source
    }

    func routeFailure(_ e: FibError, to daddr: IPv4Address) -> String {
        if e.errno == ENETUNREACH { return "no route to \(daddr)" }
        let type = e.route?.type.rawValue ?? "rule"
        return "\(type) route to \(daddr)" + (e.table.map { " in table \($0)" } ?? "") + (e.rule.map { " (rule \($0.priority))" } ?? "")
    }
}
