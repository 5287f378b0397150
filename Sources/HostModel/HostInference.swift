// A host inferred from a capture, for when no snapshot is given: the capture point's own MAC and
// address, the neighbours it talks to, and the sockets its answers reveal. One pass over the
// frames, aggregates only (bounded by the number of distinct endpoints, capped).
//
// The rules, each stated in `notes` for the user:
//  - our MAC: on SLL/SLL2, the source of PACKET_OUTGOING frames; on Ethernet, the unicast MAC
//    seen in the most frames; our address: the IPv4 address seen most with it (the most seen
//    address overall on link types without MACs); the prefix is assumed to be /24;
//  - neighbours: on-link peers with the MAC they used;
//  - default route: via the on-link peer whose MAC carries off-link traffic;
//  - sockets: TCP LISTEN where we sent a SYN-ACK; UDP where a datagram reached us and no ICMP
//    port unreachable came back for that port (only when the capture holds our own frames).
import Wire

public struct HostInference {
    struct Endpoint: Hashable { let ip: IPv4Address; let port: UInt16 }

    private var macFrames: [MACAddress: Int] = [:]
    private var outgoingMACs: [MACAddress: Int] = [:]
    private var ipsByMAC: [MACAddress: [IPv4Address: Int]] = [:]
    private var ipFrames: [IPv4Address: Int] = [:]
    private var outgoingIPs: [IPv4Address: Int] = [:]
    private var ifindexes: [UInt32: Int] = [:]
    private var synAckFrom: Set<Endpoint> = []
    private var udpTo: Set<Endpoint> = []
    private var portUnreachableFor: Set<Endpoint> = []
    private var udpFrom: Set<Endpoint> = []
    private var largest = 0

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) {
        let d = Dissection(bytes, linkType: linkType)
        guard let link = d.link else { return }
        largest = max(largest, link.network.count)
        if let i = link.interfaceIndex { ifindexes[i, default: 0] += 1 }
        var srcMAC = link.ethernet?.source ?? link.linkSource
        let dstMAC = link.ethernet?.destination
        if link.packetType == .outgoing, let m = link.linkSource { outgoingMACs[m, default: 0] += 1; srcMAC = m }
        for m in [srcMAC, dstMAC].compactMap({ $0 }) where !m.isMulticast && m != .zero { Self.bump(&macFrames, m) }
        switch d.network {
        case .arp(let a)?:
            if a.senderProtocolAddress != .any { bumpIP(a.senderHardwareAddress, a.senderProtocolAddress) }
        case .ipv4(let ip)?:
            let (s, t) = (ip.source, ip.destination)
            Self.bump(&ipFrames, s); if !t.isMulticast && !t.isLimitedBroadcast { Self.bump(&ipFrames, t) }
            if link.packetType == .outgoing { Self.bump(&outgoingIPs, s) }
            if let m = srcMAC { bumpIP(m, s) }
            if let m = dstMAC, !m.isMulticast, !t.isMulticast, !t.isLimitedBroadcast { bumpIP(m, t) }
            switch d.transport {
            case .tcp(let seg)? where seg.flags.contains(.syn) && seg.flags.contains(.ack):
                Self.insert(&synAckFrom, Endpoint(ip: s, port: seg.sourcePort))
            case .udp(let u)?:
                Self.insert(&udpTo, Endpoint(ip: t, port: u.destinationPort))
                Self.insert(&udpFrom, Endpoint(ip: s, port: u.sourcePort))
            case .icmp(let m)? where m.type == 3 && m.code == 3:
                if let q = IPv4Packet.parseFixedHeader(m.body).value, m.body.count >= q.headerLength + 4 {
                    Self.insert(&portUnreachableFor, Endpoint(ip: q.destination, port: m.body.u16(q.headerLength + 2)))
                }
            default: break
            }
        default: break
        }
    }

    private static let cap = 100_000

    private static func bump<K: Hashable>(_ d: inout [K: Int], _ k: K) {
        if d[k] != nil || d.count < Self.cap { d[k, default: 0] += 1 }
    }
    private mutating func bumpIP(_ m: MACAddress, _ ip: IPv4Address) {
        guard !ip.isUnspecified, !ip.isMulticast, !ip.isLimitedBroadcast else { return }
        if ipsByMAC[m] != nil || ipsByMAC.count < Self.cap { ipsByMAC[m, default: [:]][ip, default: 0] += 1 }
    }
    private static func insert(_ s: inout Set<Endpoint>, _ e: Endpoint) { if s.count < Self.cap { s.insert(e) } }

    static func top<K: Comparable>(_ d: [K: Int]) -> K? {
        d.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }

    /// The inferred host, and one line per thing inferred.
    public func host(driver: String) -> (Host, [String]) {
        var notes: [String] = []
        let mac = Self.top(outgoingMACs) ?? Self.top(macFrames)
        var address: IPv4Address? = mac.flatMap { ipsByMAC[$0].flatMap(Self.top) }
        if address == nil { address = Self.top(outgoingIPs) ?? Self.top(ipFrames) }
        let index = Int(Self.top(ifindexes) ?? 2)
        let mtu = max(1500, largest)
        var iface = Interface(index: index, name: "eth0", mac: mac, mtu: mtu, flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
                              operState: "UP", driver: driver)
        let lo = Interface(index: 1, name: "lo", mac: .zero, mtu: 65536, flags: ["LOOPBACK", "UP", "LOWER_UP"], linkType: "loopback",
                           addresses: [InterfaceAddress(address: .v4(IPv4Address(127, 0, 0, 1)), prefixLength: 8, scope: .host)])
        var routes: [Route] = [
            Route(table: .local, type: .local, destination: IPPrefix(address: .v4(IPv4Address(127, 0, 0, 0)), length: 8), device: "lo",
                  scope: .host, preferredSource: .v4(IPv4Address(127, 0, 0, 1)), protocolName: "kernel"),
            Route(table: .local, type: .local, destination: IPPrefix(address: .v4(IPv4Address(127, 0, 0, 1)), length: 32), device: "lo",
                  scope: .host, preferredSource: .v4(IPv4Address(127, 0, 0, 1)), protocolName: "kernel"),
        ]
        var neighbours: [Neighbour] = []
        var sockets: [Socket] = []
        notes.append("interface eth0 (ifindex \(index), driver \(driver), MTU \(mtu))" + (mac.map { ", MAC \($0)" } ?? ", no MAC in this capture"))
        if let a = address {
            let net = IPPrefix(address: .v4(a), length: 24).network
            let bcast = IPv4Address(a.value | 0xff)
            iface.addresses = [InterfaceAddress(address: .v4(a), prefixLength: 24, broadcast: bcast, scope: .universe, label: "eth0")]
            notes.append("address \(a)/24 (the prefix length is assumed)")
            routes += [
                Route(table: .main, type: .unicast, destination: net, device: "eth0", scope: .link, preferredSource: .v4(a), protocolName: "kernel"),
                Route(table: .local, type: .local, destination: IPPrefix(address: .v4(a), length: 32), device: "eth0", scope: .host,
                      preferredSource: .v4(a), protocolName: "kernel"),
                Route(table: .local, type: .broadcast, destination: IPPrefix(address: .v4(bcast), length: 32), device: "eth0", scope: .link,
                      preferredSource: .v4(a), protocolName: "kernel"),
            ]
            var gateway: IPv4Address? = nil
            for (m, ips) in ipsByMAC.sorted(by: { $0.key < $1.key }) where m != mac {
                for (ip, _) in ips.sorted(by: { $0.key < $1.key }) where net.contains(ip) && ip != a {
                    neighbours.append(Neighbour(address: .v4(ip), device: "eth0", mac: m, states: ["REACHABLE"]))
                    if ips.keys.contains(where: { !net.contains($0) }) && gateway == nil { gateway = ip }
                }
            }
            if let g = gateway {
                routes.insert(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v4(.any), length: 0), gateway: .v4(g), device: "eth0"), at: 2)
                notes.append("default via \(g) (the neighbour that carries off-link traffic)")
            }
            if !neighbours.isEmpty {
                notes.append("neighbours " + neighbours.map { "\($0.address) \($0.mac!)" }.joined(separator: ", "))
            }
            for e in synAckFrom.filter({ $0.ip == a }).sorted(by: { $0.port < $1.port }) {
                sockets.append(Socket(protocolKind: .tcp, state: "LISTEN", localAddress: nil, localPort: e.port))
            }
            let sawOurOwn = !outgoingIPs.isEmpty || (mac.map { macFrames[$0] ?? 0 } ?? 0) > 0 && udpFrom.contains { $0.ip == a } || !synAckFrom.isEmpty
            if sawOurOwn {
                for e in udpTo.filter({ $0.ip == a && !portUnreachableFor.contains($0) }).sorted(by: { $0.port < $1.port }) {
                    sockets.append(Socket(protocolKind: .udp, state: "UNCONN", localAddress: nil, localPort: e.port))
                }
            }
            notes.append(sockets.isEmpty ? "no sockets seen" : "sockets " + sockets.map { "\($0.protocolKind.rawValue) *:\($0.localPort)\($0.state == "LISTEN" ? " LISTEN" : "")" }.joined(separator: ", "))
        } else {
            notes.append("no IPv4 address seen: the host has none")
        }
        let host = Host(origin: "inferred from the capture", interfaces: [lo, iface], routes: routes, rules: PolicyRule.defaultV4,
                        neighbours: neighbours, sysctls: Sysctls(), sockets: sockets)
        return (host, notes)
    }
}
