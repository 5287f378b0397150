// What a captured frame is to the replay, whatever link type the capture holds: a frame that
// arrived on one of the host's interfaces (injected on that interface's wire, as Ethernet), a
// packet the host sent (made again by a socket), or one that cannot be replayed, and why.
//
//   EN10MB        as it is; which way by the host's MACs, the interface by the destination MAC
//   LINUX_SLL(2)  which way by the packet type, the interface by SLL2's index (SLL: by the
//                 sender's MAC in the snapshot's neighbours, else by the subnet of its address);
//                 the Ethernet header made from the packet type (PACKET_HOST: the interface's
//                 MAC; broadcast; the multicast MAC of the group; PACKET_OTHERHOST: a MAC not
//                 the host's) and the sender's MAC from the SLL header
//   RAW / IPV4    sent when the source is one of the host's addresses; MACs from the snapshot
//                 (the interface's; the sender's, or its gateway's, neighbour entry)
import HostModel
import Wire

struct Injection {
    enum Replayed {
        /// Arrived on `iface`: `ethernet` is injected on its wire.
        case received(ethernet: [UInt8], iface: Interface)
        /// The host sent it: `ethernet` (the packet behind a made-up Ethernet header when the
        /// capture has none) and the interface it left by, where the capture says.
        case sent(ethernet: [UInt8], departure: Interface?)
        case unreplayable(String)

        /// An IPv4 or IPv6 frame (the ones nft traces).
        var isIP: Bool {
            let e: [UInt8]
            switch self {
            case .received(let f, _), .sent(let f, _): e = f
            case .unreplayable: return false
            }
            return e.count > 13 && (e[12] == 0x08 && e[13] == 0x00 || e[12] == 0x86 && e[13] == 0xdd)
        }
    }

    let host: HostModel.Host
    let linkType: LinkType
    /// A unicast MAC that is none of the host's, for senders the snapshot knows no MAC of.
    static let stranger: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0xfe, 0x01]
    static let otherHost: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0xfe, 0x02]

    static func supports(_ t: LinkType) -> Bool { [.ethernet, .linuxSLL, .linuxSLL2, .raw, .ipv4].contains(t) }

    func classify(_ bytes: [UInt8]) -> Replayed {
        bytes.withUnsafeBytes { b -> Replayed in
            guard case .success(let link) = LinkFrame.decode(b, as: linkType) else { return .unreplayable("a malformed link-layer header") }
            let network = Array(link.network)
            guard link.networkProtocol == .ipv4 || link.networkProtocol == .ipv6 || link.networkProtocol == .arp else {
                return .unreplayable("EtherType \(link.networkProtocol) is not modelled: not replayed")
            }
            if let eth = link.ethernet {
                if host.interface(mac: eth.source) != nil { return .sent(ethernet: bytes, departure: host.interface(mac: eth.source)) }
                let iface = host.interface(mac: eth.destination) ?? sourceInterface(network, mac: eth.source)
                guard let iface else { return .unreplayable("no interface of the host's to receive it on") }
                return .received(ethernet: bytes, iface: iface)
            }
            let ether = link.networkProtocol.rawValue
            let header = { (dst: [UInt8], src: [UInt8]) in dst + src + [UInt8(ether >> 8), UInt8(ether & 0xff)] + network }
            let indexed = link.interfaceIndex.flatMap { host.interface(index: Int($0)) }
            if let type = link.packetType {
                if type == .outgoing {
                    let dev = indexed ?? link.linkSource.flatMap { host.interface(mac: $0) }
                    return .sent(ethernet: header([0, 0, 0, 0, 0, 0], dev?.mac?.bytes ?? [0, 0, 0, 0, 0, 0]), departure: dev)
                }
                guard let iface = indexed ?? sourceInterface(network, mac: link.linkSource) ?? host.firstNonLoopback else {
                    return .unreplayable("no interface of the host's to receive it on")
                }
                if link.interfaceIndex != nil && indexed == nil {
                    return .unreplayable("interface index \(link.interfaceIndex!) is not in the snapshot")
                }
                let dst: [UInt8]
                switch type {
                case .broadcast: dst = MACAddress.broadcast.bytes
                case .multicast: dst = Self.multicastMAC(network) ?? MACAddress.broadcast.bytes
                case .otherHost: dst = Self.otherHost
                default: dst = iface.mac?.bytes ?? Self.stranger
                }
                return .received(ethernet: header(dst, link.linkSource?.bytes ?? Self.stranger), iface: iface)
            }
            // No link layer at all (RAW, IPV4): the addresses say which way.
            guard link.networkProtocol == .ipv4, network.count >= 20 else { return .unreplayable("not an IPv4 packet") }
            let src = IPv4Address(network[12], network[13], network[14], network[15])
            let dst = IPv4Address(network[16], network[17], network[18], network[19])
            if let dev = host.interfaces.first(where: { !$0.isLoopback && $0.ipv4Addresses.contains { $0.address == .v4(src) } }) {
                return .sent(ethernet: header([0, 0, 0, 0, 0, 0], dev.mac?.bytes ?? [0, 0, 0, 0, 0, 0]), departure: nil)
            }
            guard let iface = sourceInterface(network, mac: nil) ?? host.firstNonLoopback else {
                return .unreplayable("no interface of the host's to receive it on")
            }
            let dmac = dst.isMulticast ? Self.multicastMAC(network)! : dst.isLimitedBroadcast || iface.ipv4Addresses.contains { $0.broadcast == dst }
                ? MACAddress.broadcast.bytes : iface.mac?.bytes ?? Self.stranger
            return .received(ethernet: header(dmac, senderMAC(src, on: iface)?.bytes ?? Self.stranger), iface: iface)
        }
    }

    /// The interface a packet from this sender came in by: the device of its MAC's neighbour
    /// entry, else the one whose subnet holds its source address.
    func sourceInterface(_ network: [UInt8], mac: MACAddress?) -> Interface? {
        if let mac, let n = host.neighbours.first(where: { $0.mac == mac }), let i = host.interface(named: n.device) { return i }
        guard network.count >= 20, network[0] >> 4 == 4 else { return nil }
        let src = IPv4Address(network[12], network[13], network[14], network[15])
        return host.interfaces.first { i in !i.isLoopback && i.ipv4Addresses.contains { $0.prefix.contains(src) } }
    }

    /// The sender's MAC on `iface`: its own neighbour entry, else its gateway's (the route the
    /// host would send back to it by).
    func senderMAC(_ src: IPv4Address, on iface: Interface) -> MACAddress? {
        if let n = host.neighbours.first(where: { $0.address == .v4(src) && $0.device == iface.name }) { return n.mac }
        let routes = host.routes.filter { $0.isV4 && $0.device == iface.name && $0.gateway != nil && $0.destination.contains(src) }
        guard let gw = routes.max(by: { $0.destination.length < $1.destination.length })?.gateway else { return nil }
        return host.neighbours.first { $0.address == gw && $0.device == iface.name }?.mac
    }

    /// 01:00:5e and the group's low 23 bits.
    static func multicastMAC(_ network: [UInt8]) -> [UInt8]? {
        guard network.count >= 20, network[0] >> 4 == 4, network[16] >> 4 == 0xe else { return nil }
        return [0x01, 0x00, 0x5e, network[17] & 0x7f, network[18], network[19]]
    }
}
