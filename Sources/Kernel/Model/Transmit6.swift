// Frames a capture shows the host sending over IPv6, as its applications' socket calls:
//   UDP          → sendto → inet6_sendmsg → udpv6_sendmsg
//   ICMPv6 echo  → sendto → inet_sendmsg → a ping socket (SOCK_DGRAM, IPPROTO_ICMPV6):
//                  ping_v6_sendmsg; ping's raw socket (ping_group_range allows none): rawv6_sendmsg
// Fragments (a Fragment header the kernel added: the datagram was sent whole) are gathered
// until the datagram is whole. Anything else is said to be not modelled yet.
import HostModel
import Wire

/// An IPv6 packet the host sends, as the application handed it to its socket.
struct OutgoingPacket6 {
    var source: IPv6Address, destination: IPv6Address
    var nextHeader: UInt8
    var hopLimit: UInt8, trafficClass: UInt8
    /// The upper-layer header and data.
    var payload: [UInt8]
}

/// The fragments of one datagram the capture shows the host sending (the kernel cut it).
struct TxFragments6 {
    struct Key: Hashable { var source: IPv6Address; var destination: IPv6Address; var id: UInt32 }
    var pending: [Key: (next: UInt8, pieces: [Int: [UInt8]], total: Int?)] = [:]

    mutating func add(_ key: Key, next: UInt8, offset: Int, more: Bool, data: [UInt8]) -> (next: UInt8, payload: [UInt8])? {
        if pending[key] == nil {
            if pending.count >= 64, let any = pending.keys.first { pending[any] = nil }
            pending[key] = (next, [:], nil)
        }
        pending[key]!.pieces[offset] = data
        if !more { pending[key]!.total = offset + data.count }
        guard let p = pending[key], let total = p.total else { return nil }
        var joined: [UInt8] = [], at = 0
        while at < total {
            guard let piece = p.pieces[at], !piece.isEmpty else { return nil }
            joined += piece
            at += piece.count
        }
        pending[key] = nil
        return (p.next, joined)
    }
}

extension Kernel {
    /// The IPv6 packet in `frame`, fragments gathered; nil when the frame is not IPv6.
    func transmit6(_ frame: [UInt8], linkType: LinkType, options: SendOptions) -> Bool {
        let parsed = frame.withUnsafeBytes { bytes -> (OutgoingPacket6, fragment: (offset: Int, more: Bool, id: UInt32)?)?? in
            guard case .success(let link) = LinkFrame.decode(bytes, as: linkType), link.networkProtocol == .ipv6 else { return .none }
            let net = link.network
            guard net.count >= 40, net.u8(0) >> 4 == 6 else { return .some(nil) }
            let ip = IPv6Packet(bytes: net)
            var p = OutgoingPacket6(source: ip.source, destination: ip.destination, nextHeader: ip.nextHeaderNumber,
                                    hopLimit: ip.hopLimit, trafficClass: ip.trafficClass, payload: Array(ip.payload))
            if p.nextHeader == 44, p.payload.count >= 8 {
                let off = Int(p.payload[2]) << 8 | Int(p.payload[3])
                let id = UInt32(p.payload[4]) << 24 | UInt32(p.payload[5]) << 16 | UInt32(p.payload[6]) << 8 | UInt32(p.payload[7])
                p.nextHeader = p.payload[0]
                p.payload = Array(p.payload[8...])
                return .some((p, (off & 0xfff8, off & 1 != 0, id)))
            }
            return .some((p, nil))
        }
        guard case .some(let result) = parsed else { return false }
        guard let (parsedPacket, fragment) = result else {
            record.end = (Verdict(action: .error, reason: nil, function: "", detail: "not a well-formed IPv6 packet: no socket call produces it"), [])
            return true
        }
        var p = parsedPacket
        if let fr = fragment {
            let key = TxFragments6.Key(source: p.source, destination: p.destination, id: fr.id)
            guard let whole = txFragments6.add(key, next: p.nextHeader, offset: fr.offset, more: fr.more, data: p.payload) else {
                record.end = (Verdict(action: .queue, reason: nil, function: "",
                                      detail: "fragment (bytes \(fr.offset)–\(fr.offset + p.payload.count)) of a datagram the host sends: the application sent it whole; it is explained with its last fragment"), [])
                return true
            }
            p.nextHeader = whole.next
            p.payload = whole.payload
        }
        switch p.nextHeader {
        case 17 where p.payload.count >= 8:
            sendSyscall(options.syscall ?? .sendto) { inet6_sendmsg { udpv6_sendmsg(p, options: options) } }
            describeSend()
        case 58 where p.payload.first == 128 && p.payload.count >= 8:
            let raw = !host.sysctls.pingSocketsAllowed
            // Both ping's sockets have inet6_sockraw_ops, whose sendmsg is inet_sendmsg.
            sendSyscall(options.syscall ?? .sendto) { inet_sendmsg { ping_v6_sendmsg(p, options: options, raw: raw) } }
            describeSend()
        case 58 where p.payload.count >= 4 && [133, 135, 136, 143, 131, 132].contains(p.payload[0]):
            ownNDiscOrMLD(p, leftBy: capturedDevice)
        default:
            record.end = (Verdict(action: .error, reason: nil, function: "",
                                  detail: "IPv6 next header \(p.nextHeader) from this host: only UDP sends are modelled for IPv6 yet (the neighbour layer's, ICMPv6's and TCP's are not)"), [])
        }
        return true
    }

    /// Neighbour discovery and MLD the kernel sends on its own (no socket call makes them): a
    /// solicitation leaves the neighbour INCOMPLETE until its advertisement (which the capture
    /// shows later); the rest is said as what sends it.
    func ownNDiscOrMLD(_ p: OutgoingPacket6, leftBy: Interface?) {
        let dev = leftBy ?? host.interfaces.first { i in i.addresses.contains { $0.address == .v6(p.source) } } ?? host.firstNonLoopback
        let type = p.payload[0]
        switch type {
        case 135 where p.payload.count >= 24:
            let target = IPv6Address(p.payload.withUnsafeBytes { $0 }, at: 8)
            if let dev {
                let key = NDKey(device: dev.name, address: target)
                if ndTbl[key] == nil || ndTbl[key]?.state == NUDState.none { ndTbl[key] = NeighbourEntry(mac: nil, state: .incomplete) }
            }
            record.end = (Verdict(action: .send, reason: nil, function: "ndisc_send_ns",
                                  detail: p.source.isUnspecified ? "DAD for \(target) (addrconf_dad_work): a new address is tried"
                                  : "neighbour solicitation for \(target) (ndisc_solicit: a packet waits on it, or a STALE entry is probed); the entry is INCOMPLETE until its advertisement"), [])
        case 136:
            record.end = (Verdict(action: .send, reason: nil, function: "ndisc_send_na",
                                  detail: "a neighbour advertisement the model did not foresee (an unsolicited one: ndisc_send_unsol_na when an address comes up or the link changes)"), [])
        case 133:
            record.end = (Verdict(action: .send, reason: nil, function: "ndisc_send_rs",
                                  detail: "addrconf's router solicitation (the interface came up; accept_ra on, forwarding off)"), [])
        default:
            record.end = (Verdict(action: .send, reason: nil, function: "mld_sendpack",
                                  detail: "an MLD \(type == 132 ? "done" : "report") (the device joins or leaves a group, or answers a query; mld_ifc_work / mld_dad_work)"), [])
        }
        record.socket = "the kernel's own (no socket call): not modelled further"
    }

    func inet6_sendmsg(_ protoSendmsg: () -> Void) {
        let f = trace.enter(.inet6_sendmsg); defer { trace.leave(f) }
        trace.tailCall(from: f, protoSendmsg)
    }
}
