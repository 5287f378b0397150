// The transmit entry (tracer replay --tx, and frames a capture shows the host sending): each
// IPv4 packet is taken as what an application handed to a socket, and the socket is the one the
// kernel would use for its protocol:
//
//   UDP                         → udp_sendmsg (sendto | sendmsg | sendmmsg)
//   TCP SYN / data / FIN / ACK  → tcp_v4_connect | tcp_sendmsg | tcp_shutdown | tcp_send_ack
//   ICMP echo request           → ping_v4_sendmsg (ping_group_range allows it) | raw_sendmsg
//   anything else, or a source
//   address not the host's own  → raw_sendmsg with IP_HDRINCL (raw_send_hdrinc)
//
// Fragments in the capture are gathered first: the application sent the datagram whole.
import HostModel
import Wire

/// An IPv4 packet as the capture shows the host sending it.
struct OutgoingPacket {
    var bytes: [UInt8]
    var headerLength: Int
    var source: IPv4Address
    var destination: IPv4Address
    var proto: UInt8
    var tos: UInt8
    var ttl: UInt8
    var ident: UInt16
    var header: [UInt8] { Array(bytes[..<headerLength]) }
    var options: [UInt8] { Array(bytes[20..<headerLength]) }
    /// The transport header and data.
    var payload: [UInt8] { Array(bytes[headerLength...]) }
}

/// Why a frame is not something a socket call sends.
struct NotSent: Error { var why: String }

extension Kernel {
    /// `leftBy`: the interface the capture shows the packet leaving by, when it says.
    public func transmit(frame: [UInt8], linkType: LinkType, iface: Interface?, time: Double = 0, breakpoint: String? = nil,
                         options: SendOptions = SendOptions(), leftBy: Interface? = nil, horizon: Double? = nil) -> FrameReport {
        let timerEnds = beginFrame(time: time, breakpoint: breakpoint, horizon: horizon)
        transmitting = true
        capturedDevice = leftBy
        defer { transmitting = false; capturedDevice = nil }
        if let (arp, packet, ethDst, dev) = ownARP(frame, linkType: linkType, iface: iface) {
            let eth = EthernetHeader(destination: ethDst ?? .broadcast, source: dev.mac ?? arp.sha, etherType: .arp)
            arp_own_send(arp, ethernetDestination: ethDst, frame: eth.emit(payload: packet), dev: dev)
            return finishFrame(route: nil, iface: dev.name, timerEnds: timerEnds)
        }
        if transmit6(frame, linkType: linkType, options: options) {
            return finishFrame(route: nil, iface: iface?.name ?? "?", timerEnds: timerEnds)
        }
        switch outgoingPacket(frame, linkType: linkType) {
        case .failure(let e):
            record.end = (Verdict(action: .error, reason: nil, function: "", detail: e.why), [])
        case .success(let p):
            if let whole = gatherFragments(p) {
                sendFromSocket(whole, options: options)
                describeSend()
            }
        }
        return finishFrame(route: outputRoute, iface: iface?.name ?? outputRoute?.device ?? "?", timerEnds: timerEnds)
    }

    /// The socket's IP_MULTICAST_IF (udp_sendmsg, raw_sendmsg, ping: `ipc.oif = inet->mc_index`
    /// for a multicast destination): the interface the capture shows the packet leave by — an
    /// application sending multicast or to 255.255.255.255 names its interface, or the send
    /// could not have left there.
    func multicastInterface(_ daddr: IPv4Address) -> Interface? {
        daddr.isMulticast || daddr.isLimitedBroadcast ? capturedDevice : nil
    }

    /// A packet the capture shows the host sending from an address not its own, which its routes
    /// say arrives on another interface than the one it left by: a forwarded packet whose arrival
    /// the capture does not show (a router captured on one side). Modelled as received there with
    /// its TTL one higher; nil when the host does not forward or no route says where it came from.
    public func forwardedArrival(frame: [UInt8], linkType: LinkType, departure: Interface?, time: Double = 0,
                                 breakpoint: String? = nil) -> FrameReport? {
        guard let departure, case .success(let p) = outgoingPacket(frame, linkType: linkType), p.ttl < 255, p.source != .any,
              !p.source.isMulticast, !host.interfaces.contains(where: { $0.ipv4Addresses.contains { $0.address == .v4(p.source) } }) else { return nil }
        let back = untraced { () -> Interface? in
            guard case .success(let r) = fib_lookup(Flow(source: .any, destination: p.source, iif: nil, oif: nil)),
                  r.route.type == .unicast, let d = r.route.device else { return nil }
            return host.interface(named: d)
        }
        guard let arrival = back, arrival.name != departure.name, net.ipv4.conf(arrival).forwarding else { return nil }
        var ip = p.bytes
        ip[8] = p.ttl + 1
        ip[10] = 0; ip[11] = 0
        let c = ip[..<p.headerLength].withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
        ip[10] = UInt8(c >> 8); ip[11] = UInt8(c & 0xff)
        let eth = EthernetHeader(destination: arrival.mac ?? MACAddress(0x02, 0, 0, 0, 0, 0x01), source: MACAddress(0x02, 0, 0, 0, 0, 0), etherType: .ipv4)
        var report = receive(frame: eth.emit(payload: ip), linkType: .ethernet, iface: arrival, time: time, breakpoint: breakpoint)
        report.iface = departure.name
        report.verdict.detail = "arrived on \(arrival.name), which the capture does not show (modelled from this copy, TTL \(p.ttl + 1)): " + report.verdict.detail
        return report
    }

    /// An Ethernet/IPv4 ARP packet the host sends (its fields and its 28 bytes), with the device
    /// it leaves by (the capture's interface index, else the one with its source MAC, else `iface`).
    func ownARP(_ frame: [UInt8], linkType: LinkType, iface: Interface?)
        -> ((op: ARPOperation, sha: MACAddress, sip: IPv4Address, tha: MACAddress, tip: IPv4Address), [UInt8], MACAddress?, Interface)? {
        frame.withUnsafeBytes { b in
            guard case .success(let link) = LinkFrame.decode(b, as: linkType), link.networkProtocol == .arp,
                  let a = ARPPacket.parse(UnsafeRawBufferPointer(rebasing: b[link.networkOffset...])).value else { return nil }
            let dev = link.interfaceIndex.flatMap { host.interface(index: Int($0)) }
                ?? (link.ethernet?.source ?? link.linkSource).flatMap { host.interface(mac: $0) }
                ?? iface ?? host.firstNonLoopback
            guard let dev else { return nil }
            return ((a.operation, a.senderHardwareAddress, a.senderProtocolAddress, a.targetHardwareAddress, a.targetProtocolAddress),
                    Array(link.network.prefix(28)), link.ethernet?.destination, dev)
        }
    }

    func outgoingPacket(_ frame: [UInt8], linkType: LinkType) -> Result<OutgoingPacket, NotSent> {
        frame.withUnsafeBytes { bytes -> Result<OutgoingPacket, NotSent> in
            guard case .success(let link) = LinkFrame.decode(bytes, as: linkType) else {
                return .failure(NotSent(why: "shorter than its link-layer header: not modelled"))
            }
            switch link.networkProtocol {
            case .ipv4: break
            case .arp: return .failure(NotSent(why: "ARP the host sends comes from its neighbour layer (arp_solicit, arp_process), not from a socket: not replayed"))
            default: return .failure(NotSent(why: "\(link.networkProtocol) from this host: only IPv4 transmission is modelled"))
            }
            let net = UnsafeRawBufferPointer(rebasing: bytes[link.networkOffset...])
            guard case .success(let ip) = IPv4Packet.parse(net), ip.version == 4, ip.headerLength >= 20,
                  Int(ip.totalLength) >= ip.headerLength, Int(ip.totalLength) <= net.count else {
                return .failure(NotSent(why: "not a well-formed IPv4 packet: no socket call produces it"))
            }
            let packet = Array(net.prefix(Int(ip.totalLength)))
            return .success(OutgoingPacket(bytes: packet, headerLength: ip.headerLength, source: ip.source, destination: ip.destination,
                                           proto: ip.protocolNumber, tos: ip.tos, ttl: ip.ttl, ident: ip.ident))
        }
    }

    /// A fragment is held until its datagram is whole; then the datagram is sent.
    func gatherFragments(_ p: OutgoingPacket) -> OutgoingPacket? {
        let flags = p.bytes[6]
        let offset = (Int(flags & 0x1f) << 8 | Int(p.bytes[7])) * 8
        let more = flags & 0x20 != 0
        guard more || offset != 0 else { return p }
        let key = TxFragments.Key(source: p.source, destination: p.destination, id: p.ident, proto: p.proto)
        guard let whole = txFragments.add(key, header: p.header, offset: offset, more: more, payload: p.payload) else {
            record.end = (Verdict(action: .queue, reason: nil, function: "",
                           detail: "fragment (bytes \(offset)–\(offset + p.payload.count)) of a datagram the host sends: the application sent it whole; it is explained with its last fragment"), [])
            return nil
        }
        var q = p
        q.bytes = whole
        return q
    }

    /// The socket the packet comes from, by protocol (see the table at the top of this file).
    func sendFromSocket(_ p: OutgoingPacket, options: SendOptions) {
        let ownSource = p.source == .any || host.interfaces.contains { $0.ipv4Addresses.contains { $0.address == .v4(p.source) } }
        let payload = p.payload
        if !ownSource {
            record.socket = "raw IPPROTO_RAW (IP_HDRINCL): \(p.source) is not one of the host's addresses"
            sendSyscall(options.syscall ?? .sendto) { inet_sendmsg { raw_sendmsg(p, hdrincl: true, options: options) } }
            return
        }
        switch p.proto {
        case 17 where payload.count >= 8:
            sendSyscall(options.syscall ?? .sendto) { inet_sendmsg { udp_sendmsg(p, options: options) } }
        case 6 where payload.count >= 20:
            tcp_send(p)
        case 1 where payload.first == 8:
            if host.sysctls.pingSocketsAllowed {
                sendSyscall(options.syscall ?? .sendto) { inet_sendmsg { ping_v4_sendmsg(p, options: options) } }
            } else {
                record.socket = "raw IPPROTO_ICMP (net.ipv4.ping_group_range allows no ping sockets)"
                sendSyscall(options.syscall ?? .sendto) { inet_sendmsg { raw_sendmsg(p, hdrincl: false, options: options) } }
            }
        case 2:
            // The kernel sends its IGMP reports itself (igmp_ifc_timer_expire → igmpv3_send_cr,
            // igmp_timer_expire → igmp_send_report: a join, a leave, an answer to a query); no
            // socket call makes them. Taken as the IP_HDRINCL send that puts the same packet out
            // (what tracer verify replays), from ip_local_out on.
            record.socket = "IGMP \(payload.first.map { $0 == 0x22 ? "v3 report" : $0 == 0x17 ? "leave" : "report" } ?? "message"): the kernel's own (no socket call), explained as the IP_HDRINCL send of the same packet"
            sendSyscall(options.syscall ?? .sendto) { inet_sendmsg { raw_sendmsg(p, hdrincl: true, options: options) } }
        default:
            record.socket = "raw IPPROTO_RAW (IP_HDRINCL)"
            sendSyscall(options.syscall ?? .sendto) { inet_sendmsg { raw_sendmsg(p, hdrincl: true, options: options) } }
        }
    }

    /// A sent packet's verdict names every frame of it that left (fragments included).
    func describeSend() {
        guard let e = record.end, e.verdict.action == .send else { return }
        let own = record.emitted.filter { $0.why == "sent" }
        let devs = Set(own.map(\.iface)).sorted().joined(separator: ", ")
        record.end?.verdict.detail = own.count == 1 ? "handed to \(e.verdict.function) on \(devs)"
            : "\(own.count) frames handed to \(e.verdict.function) on \(devs)"
    }

    /// The socket call failed: nothing was sent and the application gets `errno`.
    func sendFailed(_ errno: String, function: String, detail: String) {
        guard record.end == nil else { return }
        record.end = (Verdict(action: .fail, reason: nil, function: function, detail: detail, errno: errno), visibleStack())
    }
}
