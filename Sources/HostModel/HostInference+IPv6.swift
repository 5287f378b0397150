// IPv6 in a host inferred from a capture (see HostInference.swift). What the frames prove:
//  - our IPv6 addresses: those our MAC sends from (link-local and global), else those unicast
//    frames to our MAC were sent to; a /64 each (the prefix length is assumed);
//  - routers: MACs that send router advertisements, or that our off-link IPv6 traffic goes to;
//    the default route goes through the first, at its link-local address when the capture
//    shows it;
//  - neighbours: the on-link peers' addresses with the MAC they sent from (REACHABLE), unless
//    the capture shows us soliciting one before we send to it;
//  - sockets: TCP LISTEN where we sent a SYN-ACK over IPv6, UDP where datagrams reached us and
//    no port unreachable came back (dual stack, `*`).
import Wire

extension HostInference {
    /// The per-interface IPv6 facts (kept with the port's other data).
    struct PortData6 {
        var sources: [MACAddress: [IPv6Address: Int]] = [:]
        var destinations: [MACAddress: [IPv6Address: Int]] = [:]
        var routers: Set<MACAddress> = []
        /// Targets of neighbour solicitations by the MAC that sent them, with the frame number.
        var solicited: [IPv6Address: (by: MACAddress, frame: Int)] = [:]
        var firstTo: [MACAddress: Int] = [:]
    }
    struct Endpoint6: Hashable { let ip: IPv6Address; let port: UInt16 }

    mutating func add6(_ net: UnsafeRawBufferPointer, port: Port, srcMAC: MACAddress?, dstMAC: MACAddress?) {
        guard net.count >= 40, net.u8(0) >> 4 == 6 else { return }
        let ip = IPv6Packet(bytes: net)
        let (s, t) = (ip.source, ip.destination)
        var d = ports6[port] ?? PortData6()
        defer { ports6[port] = d }
        if let m = srcMAC, !s.isUnspecified, !s.isMulticast, d.sources[m] != nil || d.sources.count < Self.cap {
            if d.sources[m, default: [:]].count < 4096 { d.sources[m, default: [:]][s, default: 0] += 1 }
        }
        if let m = dstMAC, !m.isMulticast, !t.isMulticast {
            if d.destinations[m] != nil || d.destinations.count < Self.cap {
                if d.destinations[m, default: [:]].count < 4096 { d.destinations[m, default: [:]][t, default: 0] += 1 }
            }
            if d.firstTo[m] == nil { d.firstTo[m] = frameNumber }
        }
        let l4 = net.tail(from: 40)
        switch ip.nextHeaderNumber {
        case 58 where l4.count >= 4:
            let type = l4.u8(0)
            if type == 134, let m = srcMAC { d.routers.insert(m) }
            if type == 136, l4.count >= 5, l4.u8(4) & 0x80 != 0, let m = srcMAC { d.routers.insert(m) }
            if type == 135, l4.count >= 24, let m = srcMAC {
                let target = IPv6Address(l4, at: 8)
                if d.solicited[target] == nil, d.solicited.count < Self.cap { d.solicited[target] = (m, frameNumber) }
            }
            if type == 1, l4.u8(1) == 4, l4.count >= 8 + 40 + 4 {
                let quoted = l4.tail(from: 8)
                if quoted.u8(6) == 17, portUnreachable6.count < Self.cap {
                    portUnreachable6.insert(Endpoint6(ip: IPv6Address(quoted, at: 24), port: quoted.tail(from: 40).u16(2)))
                }
            }
        case 6 where l4.count >= 14:
            if l4.u8(13) & 0x12 == 0x12, synAck6.count < Self.cap { synAck6.insert(Endpoint6(ip: s, port: l4.u16(0))) }
        case 17 where l4.count >= 8 && !t.isMulticast:
            if udpTo6.count < Self.cap { udpTo6.insert(Endpoint6(ip: t, port: l4.u16(2))) }
        default: break
        }
    }

    /// Our IPv6 addresses on an interface whose MAC is `mac`.
    func ourAddresses6(_ port: Port, mac: MACAddress?) -> [IPv6Address] {
        guard let mac, let d = ports6[port] else { return [] }
        var out = (d.sources[mac] ?? [:]).sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        if out.isEmpty { out = (d.destinations[mac] ?? [:]).sorted { $0.value > $1.value }.map(\.key) }
        return Array(out.filter { !$0.isLoopback && !$0.isV4Mapped }.prefix(8))
    }

    /// Adds what IPv6 shows to the host being made.
    func addIPv6(_ views: [PortView], interfaces: inout [Interface], routes: inout [Route], neighbours: inout [Neighbour],
                 sockets: inout [Socket], sysctls: inout [String: String], notes: inout [String]) {
        var ours: Set<IPv6Address> = []
        // Our MAC advertising as a router (RA, or NA with the router flag): IPv6 forwarding is on.
        if views.contains(where: { v in v.mac.map { ports6[v.port]?.routers.contains($0) ?? false } ?? false }) {
            sysctls["net.ipv6.conf.all.forwarding"] = "1"
            notes.append("IPv6 forwarding on (the host's neighbour advertisements carry the router flag)")
        }
        for v in views {
            let mine = ourAddresses6(v.port, mac: v.mac)
            guard !mine.isEmpty, let i = interfaces.firstIndex(where: { $0.name == v.name }), let d = ports6[v.port] else { continue }
            ours.formUnion(mine)
            var prefixes: [IPPrefix] = []
            for a in mine {
                interfaces[i].addresses.append(InterfaceAddress(address: .v6(a), prefixLength: 64, scope: a.isLinkLocal ? .link : .universe))
                let net = IPPrefix(address: .v6(a), length: 64).network
                if !prefixes.contains(net) {
                    prefixes.append(net)
                    routes.append(Route(table: .main, type: .unicast, destination: net, device: v.name, metric: 256, protocolName: "kernel"))
                }
                routes.append(Route(table: .local, type: .local, destination: IPPrefix(address: .v6(a), length: 128), device: v.name, protocolName: "kernel"))
            }
            if !prefixes.contains(where: { $0.address == .v6(IPv6Address(high: 0xfe80 << 48, low: 0)) }) {
                routes.append(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v6(IPv6Address(high: 0xfe80 << 48, low: 0)), length: 64),
                                    device: v.name, metric: 256, protocolName: "kernel"))
            }
            routes.append(Route(table: .local, type: .multicast, destination: IPPrefix(address: .v6(IPv6Address(high: 0xff00 << 48, low: 0)), length: 8),
                                device: v.name, metric: 256, protocolName: "kernel"))
            notes.append("IPv6 address " + mine.map { "\($0)/64" }.joined(separator: ", ") + " on \(v.name) (the prefix length is assumed)")
            // On-link peers: their sources, with the MAC they came from.
            func onLink(_ a: IPv6Address) -> Bool { a.isLinkLocal || prefixes.contains { $0.contains(.v6(a)) } }
            for (mac, srcs) in d.sources.sorted(by: { $0.key < $1.key }) where mac != v.mac {
                for (a, _) in srcs.sorted(by: { $0.key < $1.key }) where onLink(a) && !ours.contains(a) {
                    if let s = d.solicited[a], s.by == v.mac, (d.firstTo[mac] ?? .max) > s.frame { continue }   // resolved in the capture
                    neighbours.append(Neighbour(address: .v6(a), device: v.name, mac: mac, states: ["REACHABLE"]))
                }
            }
            // A router: one that advertises, or that our off-link traffic goes to.
            let offLinkVia = d.destinations.filter { m, ds in m != v.mac && ds.keys.contains { !onLink($0) } }.map(\.key)
            if let router = (d.routers.subtracting([v.mac].compactMap { $0 }).sorted() + offLinkVia.sorted()).first {
                let ll = d.sources[router]?.keys.filter(\.isLinkLocal).sorted().first
                routes.append(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v6(IPv6Address(high: 0, low: 0)), length: 0),
                                    gateway: ll.map { .v6($0) }, device: v.name, metric: 1024, protocolName: ll == nil ? "boot" : "ra"))
                notes.append("IPv6 default route via " + (ll.map { "\($0)" } ?? "dev \(v.name) (the router's link-local address is not in the capture)")
                             + " dev \(v.name) (router \(router))")
            }
        }
        guard !ours.isEmpty else { return }
        for e in synAck6.filter({ ours.contains($0.ip) }).sorted(by: { ($0.port, $0.ip) < ($1.port, $1.ip) }) {
            sockets.append(Socket(protocolKind: .tcp, state: "LISTEN", localAddress: .v6(e.ip), localPort: e.port, isV6: true))
        }
        let udp = Set(udpTo6.filter { ours.contains($0.ip) && !portUnreachable6.contains($0) }.map(\.port))
        for port in udp.sorted() where !sockets.contains(where: { $0.protocolKind == .udp && $0.localPort == port && $0.isV6 }) {
            sockets.append(Socket(protocolKind: .udp, state: "UNCONN", localAddress: nil, localPort: port, isV6: true))
        }
        if !synAck6.isEmpty || !udp.isEmpty {
            notes.append("IPv6 sockets " + (synAck6.filter { ours.contains($0.ip) }.map { "tcp [\($0.ip)]:\($0.port) LISTEN" } + udp.sorted().map { "udp *:\($0)" }).joined(separator: ", "))
        }
    }
}
