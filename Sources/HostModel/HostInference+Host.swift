// From what the capture proves to a host it could have been taken on (see HostInference.swift
// for what is gathered). The rules, each stated in a note for the user:
//  - our MAC on an interface: the source of its PACKET_OUTGOING frames (SLL); on Ethernet the MAC
//    in the most unicast frames — of two in equally many (the ends of one conversation), the one
//    that is not a router (a router's frames carry addresses from hops away);
//  - our addresses: those our MAC announces in ARP or sends from at hop 0, not forwarded and
//    not another MAC's own; a prefix of /24, widened to hold every on-link address (ARP,
//    neighbours at hop 0) and narrowed to leave out addresses only seen across a router;
//  - a router: a MAC whose frames carry addresses from hops away (or that forwards); the default
//    route goes through the one carrying most, at its own address when the capture shows it,
//    else at a placeholder address (said so); other routers get host routes;
//  - forwarding on when our MAC sends a packet again that arrived with a TTL one higher; routes
//    for where forwarded packets went;
//  - sockets: TCP LISTEN where we sent a SYN-ACK; UDP where datagrams reached us and no port
//    unreachable came back (sockets the host opens itself are learned by the model as it sends);
//  - a firewall only as a stated guess: a SYN to us retransmitted without an answer (INPUT drop);
//    on a router, a packet never forwarded that got no answer, a RST in the destination's name or
//    an ICMP prohibition from us (FORWARD drop or reject);
//  - the MTU from the largest frame; Linux's defaults for every sysctl not implied.
import Wire

extension HostInference {
    /// What was decided for one capture interface.
    struct PortView {
        let port: Port
        var name: String
        var index: Int
        var mac: MACAddress?
        var addresses: [IPv4Address] = []
        /// Each address's prefix length (the primary's first).
        var prefixLengths: [IPv4Address: Int] = [:]
        var prefixLength: Int { addresses.first.flatMap { prefixLengths[$0] } ?? 24 }
        func length(_ a: IPv4Address) -> Int { prefixLengths[a] ?? 24 }
        var routers: [MACAddress] = []
        /// On-link addresses and the MAC each was seen with (nil: ARP asked for it only).
        var onLink: [IPv4Address: MACAddress?] = [:]
        var offLink: [MACAddress: Set<IPv4Address>] = [:]
        var gateways: [MACAddress: (address: IPv4Address, placeholder: Bool)] = [:]
        var mtu = 1500
    }

    public func host(driver: String) -> (Host, [String]) {
        var notes: [String] = []
        // Loopback frames (an `any` capture's lo) carry no MACs: the host has lo anyway.
        let wanted = ports.keys.sorted().filter { k in ports[k]!.macFrames.keys.contains { $0 != .zero } || ports.count == 1 }
        var views: [PortView] = []
        for (n, k) in wanted.enumerated() {
            let d = ports[k]!
            var v = PortView(port: k, name: "eth\(n)", index: k == 0 ? 2 + n : Int(k))
            v.mac = ourMAC(d)
            v.mtu = max(1500, d.largest)
            v.addresses = ourAddresses(d, mac: v.mac)
            classifyPeers(d, &v)
            views.append(v)
        }
        if views.isEmpty { views = [PortView(port: 0, name: "eth0", index: 2)] }
        if views.allSatisfy({ $0.addresses.isEmpty }), let a = Self.top(rawAddresses) {
            views[0].addresses = [a]
            classifyPeers(ports[views[0].port] ?? PortData(), &views[0])
        }
        let ours = Set(views.flatMap(\.addresses))
        let forwarding = forwarded.contains { f in views.contains { $0.port == f.outPort && $0.mac != nil && $0.mac == f.forwarder } }

        var interfaces = [Interface(index: 1, name: "lo", mac: .zero, mtu: 65536, flags: ["LOOPBACK", "UP", "LOWER_UP"], linkType: "loopback",
                                    addresses: [InterfaceAddress(address: .v4(IPv4Address(127, 0, 0, 1)), prefixLength: 8, scope: .host)])]
        var routes: [Route] = [
            Route(table: .local, type: .local, destination: IPPrefix(address: .v4(IPv4Address(127, 0, 0, 0)), length: 8), device: "lo",
                  scope: .host, preferredSource: .v4(IPv4Address(127, 0, 0, 1)), protocolName: "kernel"),
            Route(table: .local, type: .local, destination: IPPrefix(address: .v4(IPv4Address(127, 0, 0, 1)), length: 32), device: "lo",
                  scope: .host, preferredSource: .v4(IPv4Address(127, 0, 0, 1)), protocolName: "kernel"),
        ]
        var neighbours: [Neighbour] = []
        if wanted.count > 1 || wanted.first.map({ $0 != 0 }) == true {
            notes.append("interfaces named eth0… in the order of the capture's interface indexes (the capture does not name them)")
        }
        for v in views {
            let pointToPoint = v.mac == nil && (ports[v.port]?.withoutMAC ?? 0) > 0
            var iface = Interface(index: v.index, name: v.name, mac: v.mac, mtu: v.mtu,
                                  flags: pointToPoint ? ["POINTOPOINT", "NOARP", "UP", "LOWER_UP"] : ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
                                  operState: "UP", driver: driver)
            notes.append("interface \(v.name) (ifindex \(v.index), driver \(driver), MTU \(v.mtu))" + (v.mac.map { ", MAC \($0)" } ?? ", no MAC of its own in this capture"))
            var connected: [IPPrefix] = []
            for a in v.addresses {
                let len = v.length(a)
                let net = IPPrefix(address: .v4(a), length: len).network
                let bcast = IPv4Address(a.value | (len >= 32 ? 0 : UInt32.max >> UInt32(len)))
                iface.addresses.append(InterfaceAddress(address: .v4(a), prefixLength: len, broadcast: bcast, scope: .universe, label: v.name))
                if !connected.contains(net) {
                    connected.append(net)
                    routes.append(Route(table: .main, type: .unicast, destination: net, device: v.name, scope: .link, preferredSource: .v4(a), protocolName: "kernel"))
                    routes.append(Route(table: .local, type: .broadcast, destination: IPPrefix(address: .v4(bcast), length: 32), device: v.name, scope: .link,
                                        preferredSource: .v4(a), protocolName: "kernel"))
                }
                routes.append(Route(table: .local, type: .local, destination: IPPrefix(address: .v4(a), length: 32), device: v.name, scope: .host,
                                    preferredSource: .v4(a), protocolName: "kernel"))
            }
            if !v.addresses.isEmpty {
                let assumed = v.addresses.allSatisfy { v.length($0) == ($0.value >> 16 == 0xa9fe ? 16 : 24) }
                notes.append("address " + v.addresses.map { "\($0)/\(v.length($0))" }.joined(separator: ", ") + " on \(v.name)"
                             + (assumed ? " (the prefix length is assumed)" : " (prefixes that hold the on-link and broadcast addresses seen)"))
            }
            interfaces.append(iface)
            let d = ports[v.port] ?? PortData()
            for (ip, mac) in v.onLink.sorted(by: { $0.key < $1.key }) {
                guard let mac, !ours.contains(ip),
                      v.addresses.isEmpty || v.addresses.contains(where: { IPPrefix(address: .v4($0), length: v.length($0)).network.contains(.v4(ip)) })
                else { continue }
                if let first = d.firstARPFor[ip], first.by == v.mac, (d.firstIPTo[mac] ?? .max) > first.frame { continue }   // resolved in the capture
                neighbours.append(Neighbour(address: .v4(ip), device: v.name, mac: mac, states: ["REACHABLE"]))
            }
            for (mac, g) in v.gateways.sorted(by: { $0.key < $1.key }) where g.placeholder {
                neighbours.append(Neighbour(address: .v4(g.address), device: v.name, mac: mac, states: ["REACHABLE"]))
            }
        }
        // The default route: through the router carrying the most off-link addresses.
        let main = views.flatMap { v in v.routers.map { (v, $0) } }.max { a, b in
            let (x, y) = ((a.0.offLink[a.1]?.count ?? 0), (b.0.offLink[b.1]?.count ?? 0))
            return x != y ? x < y : (a.0.index, a.1) > (b.0.index, b.1)
        }
        if let (v, mac) = main, let g = v.gateways[mac] {
            routes.append(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v4(.any), length: 0), gateway: .v4(g.address), device: v.name))
            notes.append("default via \(g.address) dev \(v.name)" + (g.placeholder
                ? " — a placeholder address: the capture never shows the router's own, only its MAC \(mac), which carries the off-link traffic"
                : " (the router at \(mac), which carries the off-link traffic)"))
        }
        var hostRoutes = 0
        // An address only seen across a router, inside one of our own networks: a host route via it.
        for v in views {
            for mac in v.routers {
                guard let g = v.gateways[mac] else { continue }
                for ip in (v.offLink[mac] ?? []).sorted() where hostRoutes < 256 && !ours.contains(ip) && v.addresses.contains(where: {
                    IPPrefix(address: .v4($0), length: v.length($0)).network.contains(.v4(ip)) }) {
                    routes.append(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v4(ip), length: 32), gateway: .v4(g.address), device: v.name))
                    hostRoutes += 1
                    notes.append("\(ip) via \(g.address) dev \(v.name): inside our network, but its packets cross the router at \(mac)")
                }
            }
        }
        for v in views {
            for mac in v.routers where !(main.map { $0.0.port == v.port && $0.1 == mac } ?? false) {
                guard let g = v.gateways[mac] else { continue }
                for ip in (v.offLink[mac] ?? []).sorted() where hostRoutes < 256 {
                    routes.append(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v4(ip), length: 32), gateway: .v4(g.address), device: v.name))
                    hostRoutes += 1
                }
                notes.append("\(v.offLink[mac]?.count ?? 0) off-link addresses via \(g.address) dev \(v.name) (another router, \(mac))")
            }
        }
        // Every unicast address the host sends to has a route: one the default does not cover goes
        // via the router whose MAC carried it, or is on-link where its MAC is.
        func covered(_ ip: IPv4Address) -> Bool {
            routes.contains { r in r.table == .main && r.type == .unicast && IPPrefix(address: .v4(ip), length: r.destination.length).network == r.destination.network }
        }
        var extraRoutes = 0
        for v in views {
            guard let d = ports[v.port] else { continue }
            // SLL names no destination MAC: a destination goes to the MAC it answers from.
            var destinations = d.destinations
            for (ip, n) in d.sentTo {
                let via = d.sources.first { m, s in m != v.mac && (s[ip]?.minHops == 0) }?.key ?? v.routers.first
                if let via { destinations[via, default: [:]][ip, default: 0] += n }
            }
            // A link with no MACs (a tun or point-to-point device): everything off-link is on it.
            if d.withoutMAC > 0 && v.mac == nil && !d.sentTo.isEmpty && !routes.contains(where: { $0.destination.length == 0 }) {
                routes.append(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v4(.any), length: 0), device: v.name, scope: .link))
                notes.append("default dev \(v.name): a link without MAC addresses (point-to-point), so the host sends off-link traffic straight onto it")
            }
            for (mac, to) in destinations.sorted(by: { $0.key < $1.key }) where mac != v.mac && !mac.isMulticast {
                for ip in to.keys.sorted() where !ours.contains(ip) && !ip.isLoopback && !covered(ip) && extraRoutes < 256 {
                    extraRoutes += 1
                    if let g = v.gateways[mac] {
                        routes.append(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v4(ip), length: 32), gateway: .v4(g.address), device: v.name))
                    } else {
                        // On an interface with no address of ours, the /24 around it (as a connected route would be).
                        let net = IPPrefix(address: .v4(ip), length: v.addresses.isEmpty ? 24 : 32).network
                        routes.append(Route(table: .main, type: .unicast, destination: net, device: v.name, scope: .link))
                        if !neighbours.contains(where: { $0.address == .v4(ip) }) {
                            neighbours.append(Neighbour(address: .v4(ip), device: v.name, mac: mac, states: ["REACHABLE"]))
                        }
                    }
                }
            }
        }
        if extraRoutes > 0 { notes.append("\(extraRoutes) route\(extraRoutes == 1 ? "" : "s") for addresses the host sends to that no network above holds (via the MAC that took them)") }
        // Addresses the host's MAC sends from only from hops away, never seen arriving: packets it
        // relays from an interface the capture does not show (a router captured on one side).
        let seenArriving = { (ip: IPv4Address) in
            self.ports.contains { k, d in d.sources.contains { m, s in s[ip] != nil && !views.contains { $0.port == k && $0.mac == m } } }
        }
        var relayed: [IPv4Address] = []
        for v in views {
            guard let m = v.mac, let d = ports[v.port] else { continue }
            for (ip, s) in d.sources[m] ?? [:] where s.minHops > 0 && !ours.contains(ip) && !ip.isUnspecified && !seenArriving(ip)
                && !(natSources[m]?.contains(ip) ?? false) { relayed.append(ip) }
        }
        relayed.sort()
        if !relayed.isEmpty {
            let index = (interfaces.map(\.index).max() ?? 1) + 1
            let name = "eth\(views.count)"
            interfaces.append(Interface(index: index, name: name, mac: nil, mtu: 1500, flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
                                        operState: "UP", driver: driver))
            for ip in relayed.prefix(256) {
                routes.append(Route(table: .main, type: .unicast, destination: IPPrefix(address: .v4(ip), length: 32), device: name, scope: .link))
                neighbours.append(Neighbour(address: .v4(ip), device: name, mac: MACAddress(0x02, 0, 0, 0, 0, 0), states: ["REACHABLE"]))
            }
            notes.append("interface \(name) (ifindex \(index)), which the capture does not show: the host relays packets from "
                         + relayed.prefix(8).map(\.description).joined(separator: ", ") + (relayed.count > 8 ? ", …" : "")
                         + " (they leave with their TTL lowered), so they arrive there; routes to them dev \(name)")
        }
        var sysctls: [String: String] = [:]
        if forwarding || !relayed.isEmpty {
            sysctls["net.ipv4.ip_forward"] = "1"
            notes.append(forwarding ? "forwarding on: the capture shows packets leaving again with their TTL one lower"
                                    : "forwarding on: the host relays packets (above)")
            // Routes for where forwarded packets went, on-link on an interface with no address of ours for them.
            var extra: Set<String> = []
            for f in forwarded.sorted(by: { ($0.destination, $0.outPort) < ($1.destination, $1.outPort) }) {
                guard let v = views.first(where: { $0.port == f.outPort && $0.mac == f.forwarder }) else { continue }
                if let m = f.nextHopMAC, v.routers.contains(m) { continue }
                let covered = routes.contains { r in r.table == .main && r.device == v.name && r.destination.length > 0
                    && IPPrefix(address: .v4(f.destination), length: r.destination.length).network == r.destination.network }
                if covered { continue }
                let net = IPPrefix(address: .v4(f.destination), length: 24).network
                guard extra.insert("\(net) \(v.name)").inserted else { continue }
                routes.append(Route(table: .main, type: .unicast, destination: net, device: v.name, scope: .link, protocolName: "boot"))
                notes.append("\(net) dev \(v.name): forwarded packets went there to a neighbour at hop 0")
                if let m = f.nextHopMAC, !neighbours.contains(where: { $0.address == .v4(f.destination) }) {
                    neighbours.append(Neighbour(address: .v4(f.destination), device: v.name, mac: m, states: ["REACHABLE"]))
                }
            }
        }
        if !neighbours.isEmpty {
            notes.append("neighbours " + neighbours.map { "\($0.address) \($0.mac!) dev \($0.device)" }.joined(separator: ", "))
        }
        var sockets: [Socket] = []
        let listening = synAckFrom.filter { ours.contains($0.ip) }
        for e in listening.sorted(by: { ($0.port, $0.ip) < ($1.port, $1.ip) }) {
            // A port one of our addresses answers and another refuses: a listener bound to the first.
            let refusedElsewhere = resetTimes.keys.contains { $0.port == e.port && ours.contains($0.ip) && !listening.contains($0) }
            if !refusedElsewhere && sockets.contains(where: { $0.localPort == e.port && $0.protocolKind == .tcp && $0.localAddress == nil }) { continue }
            var s = Socket(protocolKind: .tcp, state: "LISTEN", localAddress: refusedElsewhere ? .v4(e.ip) : nil, localPort: e.port)
            // A SYN refused before the first SYN-ACK, or after the last: the listener came, or went.
            if let t = synAckTimes[e], let resets = resetTimes[e] {
                if let before = resets.filter({ $0 < t.first }).max() { s.openedAt = (before + t.first) / 2 }
                if let after = resets.filter({ $0 > t.last }).min() { s.closedAt = (t.last + after) / 2 }
                if s.openedAt != nil || s.closedAt != nil {
                    notes.append("tcp *:\(e.port) LISTEN only " + [s.openedAt.map { "from \(Self.clock($0))" }, s.closedAt.map { "until \(Self.clock($0))" }]
                        .compactMap { $0 }.joined(separator: " ") + ": SYNs to it were reset " + (s.openedAt != nil ? "before" : "after") + " it answered others")
                }
            }
            sockets.append(s)
        }
        // Connections open before the capture began (their first segment here is not a SYN).
        for (c, startedWithSYN) in conversations.sorted(by: { ($0.key.a.ip, $0.key.a.port, $0.key.b.ip, $0.key.b.port) < ($1.key.a.ip, $1.key.a.port, $1.key.b.ip, $1.key.b.port) })
            where !startedWithSYN && sockets.filter({ $0.state == "ESTAB" }).count < 4096 {
            let (local, remote) = ours.contains(c.a.ip) ? (c.a, c.b) : (c.b, c.a)
            guard ours.contains(local.ip), !ours.contains(remote.ip) else { continue }
            sockets.append(Socket(protocolKind: .tcp, state: "ESTAB", localAddress: .v4(local.ip), localPort: local.port,
                                  remoteAddress: .v4(remote.ip), remotePort: remote.port))
        }
        let sawOurOwn = views.contains { v in v.mac.map { (ports[v.port]?.sources[$0]?.isEmpty == false) } ?? false } || !synAckFrom.isEmpty
        if sawOurOwn {
            for e in udpTo.filter({ ours.contains($0.ip) && !portUnreachableFor.contains($0) && !natDestinations.contains($0) }).sorted(by: { $0.port < $1.port })
                where !sockets.contains(where: { $0.localPort == e.port && $0.protocolKind == .udp }) {
                sockets.append(Socket(protocolKind: .udp, state: "UNCONN", localAddress: nil, localPort: e.port))
            }
        }
        // Raw sockets for the other IP protocols the host sends (OSPF, VRRP, SCTP, GRE…): they take
        // those protocols in (raw_local_deliver), so no protocol unreachable answers them.
        var rawProtocols = ours.reduce(into: Set<UInt8>()) { $0.formUnion(protocolsFrom[$1] ?? []) }.subtracting([2])
        // …and those it takes in without a protocol unreachable (ip_gre, an SCTP stack, a daemon).
        if sawOurOwn {
            for a in ours {
                let refused = protocolUnreachable[a] ?? []
                rawProtocols.formUnion((protocolsTo[a] ?? []).subtracting(refused))
            }
        }
        for p in rawProtocols.sorted() { sockets.append(Socket(protocolKind: .raw, state: "UNCONN", localAddress: nil, localPort: UInt16(p))) }
        notes.append(sockets.isEmpty ? "no listening sockets seen" : "sockets " + sockets.map { s in
            s.protocolKind == .raw ? "raw IP protocol \(s.localPort)"
                : s.state == "ESTAB" ? "tcp \(s.localAddress!):\(s.localPort) ESTAB with \(s.remoteAddress!):\(s.remotePort!) (open before the capture)"
                : "\(s.protocolKind.rawValue) \(s.localAddress?.description ?? "*"):\(s.localPort)\(s.state == "LISTEN" ? " LISTEN" : "")" }.joined(separator: ", "))
        if ours.isEmpty { notes.append("no IPv4 address of the host's seen: it has none") }
        addIPv6(views, interfaces: &interfaces, routes: &routes, neighbours: &neighbours, sockets: &sockets, sysctls: &sysctls, notes: &notes)
        var host = Host(origin: "inferred from the capture", interfaces: interfaces, routes: routes, rules: PolicyRule.defaultV4,
                        neighbours: neighbours, sysctls: Sysctls(sysctls), sockets: sockets)
        // Groups: what the host's own IGMP reports joined, on the interface they left by.
        for v in views {
            guard let mac = v.mac, let groups = igmpGroups[v.port]?[mac], !groups.isEmpty else { continue }
            let sorted = groups.sorted { $0.value < $1.value }
            host.multicast += sorted.map { MulticastMembership(device: v.name, group: .v4($0)) }
            notes.append("multicast groups joined on \(v.name): " + sorted.map(\.description).joined(separator: ", ") + " (the host's IGMP reports)")
        }
        let (rules, ruleNotes) = guessedFirewall(views: views, ours: ours, forwarding: forwarding)
        if !rules.isEmpty, let r = try? Ruleset(iptablesSave: rules) {
            host.ruleset = r
            notes += ruleNotes
        }
        return (host, notes)
    }

    // MARK: decisions

    func ourMAC(_ d: PortData) -> MACAddress? {
        if let m = Self.top(d.outgoingMACs) { return m }
        guard let best = d.macFrames.values.max() else { return nil }
        let tied = d.macFrames.filter { $0.value == best && $0.key != .zero }.map(\.key).sorted()
        return tied.min { a, b in (relays(a, d), a) < (relays(b, d), b) }
    }

    /// How many addresses from hops away a MAC's frames carry (a router's frames do).
    func relays(_ m: MACAddress, _ d: PortData) -> Int {
        (d.sources[m]?.values.filter { $0.maxHops > 0 }.count ?? 0) + (forwardedSources[m]?.count ?? 0)
    }

    func ourAddresses(_ d: PortData, mac: MACAddress?) -> [IPv4Address] {
        guard let mac else { return [] }
        var score: [IPv4Address: Int] = [:]
        for ip in d.arpSenders[mac] ?? [] where !ip.isUnspecified { score[ip, default: 0] += 1 }
        for ip in natSources[mac] ?? [] { score[ip, default: 0] += 1 }   // what NAT gave its forwarded packets
        for (ip, s) in d.sources[mac] ?? [:] where s.minHops == 0 && !(forwardedSources[mac]?.contains(ip) ?? false) && !ownedElsewhere(ip, not: mac) {
            score[ip, default: 0] += s.frames
        }
        if score.isEmpty {
            // Only frames to us: the address they were sent to (not one we forwarded on).
            let passedOn = Set(forwarded.filter { $0.forwarder == mac }.map(\.destination))
            for (ip, n) in d.destinations[mac] ?? [:] where !passedOn.contains(ip) && !ip.isLoopback { score[ip, default: 0] += n }
            return Self.top(score).map { [$0] } ?? []
        }
        return score.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(8).map(\.key)
    }

    /// Another MAC sends from `ip` at hop 0 on some interface: it is that host's address.
    func ownedElsewhere(_ ip: IPv4Address, not mac: MACAddress) -> Bool {
        ports.values.contains { d in d.sources.contains { m, s in m != mac && m != .zero && (s[ip]?.maxHops == 0) && relays(m, d) == 0 } }
    }

    func isRouter(_ m: MACAddress, _ d: PortData, tentative: IPPrefix?) -> Bool {
        let senders = d.sources[m] ?? [:]
        if forwardedSources[m] != nil { return true }
        if senders.values.contains(where: { $0.minHops > 0 }) { return true }
        if senders.count >= 2 && senders.values.contains(where: { $0.maxHops > 0 }) { return true }
        // We send it packets for addresses outside our network that nothing shows on-link.
        if let net = tentative, let to = d.destinations[m] {
            let announced = d.arpSenders.values.reduce(into: Set<IPv4Address>()) { $0.formUnion($1) }
            if to.keys.contains(where: { !net.contains(.v4($0)) && !announced.contains($0) }) { return true }
        }
        return false
    }

    func classifyPeers(_ d: PortData, _ v: inout PortView) {
        let a = v.addresses.first
        let tentative = a.map { IPPrefix(address: .v4($0), length: 24).network }
        var macs = Set(d.macFrames.keys).union(d.sources.keys).union(d.arpSenders.keys)
        if let m = v.mac { macs.remove(m) }
        for m in macs.sorted() {
            if isRouter(m, d, tentative: tentative) {
                v.routers.append(m)
                var far = Set((d.sources[m] ?? [:]).filter { $0.value.maxHops > 0 }.map(\.key))
                far.formUnion((d.destinations[m] ?? [:]).keys)
                // Its own addresses: announced in ARP, or sent from at hop 0 inside our network
                // (a RST a firewall sends in a distant server's name also leaves at hop 0).
                for ip in d.arpSenders[m] ?? [] { v.onLink[ip] = m }
                for (ip, s) in d.sources[m] ?? [:] where s.maxHops == 0 && tentative?.contains(.v4(ip)) == true { v.onLink[ip] = m }
                v.offLink[m] = far.subtracting(v.onLink.keys)
            } else {
                for (ip, s) in d.sources[m] ?? [:] where s.minHops == 0 { v.onLink[ip] = m }
                for ip in d.arpSenders[m] ?? [] { v.onLink[ip] = m }
                for ip in (d.destinations[m] ?? [:]).keys where v.onLink[ip] == nil { v.onLink[ip] = m }
            }
        }
        for targets in d.arpAskedBy.values {
            for t in targets where v.onLink[t] == nil && !v.addresses.contains(t) && !t.isUnspecified { v.onLink[t] = .some(nil) }
        }
        v.routers.sort { (d.macFrames[$0] ?? 0, $1) > (d.macFrames[$1] ?? 0, $0) }
        guard let a else { return }
        // Each address's prefix: /24 (/16 for link-local 169.254/16) widened to hold the addresses
        // ARP shows on the link near it (a host asks for and answers only those of its own
        // subnets); a subnet broadcast the host sends to fixes it exactly. (An off-link address
        // inside it gets a host route through its router: see host(driver:).)
        let arped = d.arpSenders.values.reduce(into: Set<IPv4Address>()) { $0.formUnion($1) }
            .union(d.arpAskedBy.values.reduce(into: Set<IPv4Address>()) { $0.formUnion($1) })
            .filter { !$0.isUnspecified && !v.addresses.contains($0) }
        let far = v.offLink.values.reduce(into: Set<IPv4Address>()) { $0.formUnion($1) }.subtracting(v.onLink.keys)
        func nearest(_ ip: IPv4Address) -> IPv4Address { v.addresses.max { (Self.commonPrefix($0, ip), $1) < (Self.commonPrefix($1, ip), $0) }! }
        for x in v.addresses {
            var len = x.value >> 16 == 0xa9fe ? 16 : 24
            let mine = arped.filter { nearest($0) == x }
            for ip in mine { len = min(len, max(8, Self.commonPrefix(x, ip))) }
            let broadcasts = v.mac.flatMap { d.broadcastsBy[$0] } ?? []
            for b in broadcasts where nearest(b) == x {
                let fits = (8...30).filter { l in b.value == x.value | (UInt32.max >> UInt32(l)) }
                if !fits.contains(len), let exact = fits.min(by: { abs($0 - len) < abs($1 - len) }) { len = exact }
            }
            v.prefixLengths[x] = len
        }
        let net = IPPrefix(address: .v4(a), length: v.length(a)).network
        // Each router's address: its own (ARP, or hop 0) inside our network, else a placeholder.
        var taken = Set(v.addresses).union(v.onLink.keys).union(far)
        for m in v.routers {
            if let own = v.onLink.filter({ $0.value == m && net.contains(.v4($0.key)) }).map(\.key).min() {
                v.gateways[m] = (own, false)
            } else if let p = Self.placeholder(in: net, avoiding: taken) {
                v.gateways[m] = (p, true)
                taken.insert(p)
            }
        }
    }

    /// An address of `net` nothing in the capture uses: the first host address, else the last, else any.
    static func placeholder(in net: IPPrefix, avoiding taken: Set<IPv4Address>) -> IPv4Address? {
        guard case .v4(let base) = net.address, net.length <= 30 else { return nil }
        let size = UInt32(1) << UInt32(32 - net.length)
        for offset in [1, size - 2] + Array(2..<min(size - 2, 1024)) {
            let c = IPv4Address(base.value + offset)
            if !taken.contains(c) { return c }
        }
        return nil
    }

    /// A capture time as the frame headers print it (seconds, 9 decimals).
    static func clock(_ t: Double) -> String {
        let s = Int64(t.rounded(.down)), ns = Int64(((t - Double(s)) * 1e9).rounded())
        return "\(s)." + String(String(ns + 1_000_000_000).dropFirst())
    }

    static func commonPrefix(_ a: IPv4Address, _ b: IPv4Address) -> Int { (a.value ^ b.value).leadingZeroBitCount }

    /// The firewall rules the capture suggests, as iptables-save text (read by the same parser as
    /// a snapshot's), with a note each. Guesses: the capture shows their effect, not the rules.
    func guessedFirewall(views: [PortView], ours: Set<IPv4Address>, forwarding: Bool) -> (String, [String]) {
        var input: [String] = [], forward: [String] = [], notes: [String] = []
        func add(_ list: inout [String], _ rule: String, _ note: String) {
            guard !list.contains(rule), list.count < 64 else { return }
            list.append(rule)
            notes.append("firewall (a guess: " + note + "): " + rule)
        }
        for (_, a) in arrivals.sorted(by: { ($0.key.destination, $0.key.dport, $0.key.source) < ($1.key.destination, $1.key.dport, $1.key.source) }) {
            guard let v = views.first(where: { $0.port == a.port }) else { continue }
            let toUs = a.packetType == .host || (a.destinationMAC != nil && a.destinationMAC == v.mac)
            guard toUs, a.copies == 0 else { continue }
            let proto = a.proto == 6 ? "tcp" : "udp"
            let match = "-d \(a.destination)/32 -p \(proto) -m \(proto) --dport \(a.dport)"
            if ours.contains(a.destination) {
                if a.isSYN && a.times >= 2 && a.answeredBy.isEmpty {
                    add(&input, "-A INPUT \(match) -j DROP", "SYNs to \(a.destination):\(a.dport) retransmitted, never answered")
                }
            } else if forwarding && a.ttl > 1 {
                // The ICMP codes a REJECT sends (ipt_REJECT's --reject-with), from one of our addresses.
                let rejectWith: [UInt8: String] = [3: "icmp-port-unreachable", 9: "icmp-net-prohibited", 10: "icmp-host-prohibited", 13: "icmp-admin-prohibited"]
                let refused = a.answeredBy.lazy.compactMap { w -> String? in
                    if case .unreachable(let code, let from) = w, ours.contains(from) { return rejectWith[code] } else { return nil }
                }.first
                if a.answeredBy.contains(.reset(from: a.destination)) {
                    add(&forward, "-A FORWARD \(match) -j REJECT --reject-with tcp-reset", "a RST in \(a.destination)'s name, the SYN not forwarded")
                } else if let code = refused {
                    add(&forward, "-A FORWARD \(match) -j REJECT --reject-with \(code)", "our ICMP error for a packet to \(a.destination) not forwarded")
                } else if a.answeredBy.isEmpty && (a.isSYN || a.proto == 17) {
                    add(&forward, "-A FORWARD \(match) -j DROP", "a packet to \(a.destination):\(a.dport) never forwarded nor answered")
                }
            }
        }
        // Source NAT the capture shows: a forwarded packet leaving with our address for its source.
        var nat: [String] = []
        for s in sourceNAT.sorted(by: { ($0.outPort, $0.translated, $0.original) < ($1.outPort, $1.translated, $1.original) }) {
            guard let v = views.first(where: { $0.port == s.outPort && $0.mac == s.forwarder }) else { continue }
            let rule = v.addresses.contains(s.translated) ? "-A POSTROUTING -o \(v.name) -j MASQUERADE"
                : "-A POSTROUTING -o \(v.name) -j SNAT --to-source \(s.translated)"
            guard !nat.contains(rule), nat.count < 64 else { continue }
            nat.append(rule)
            notes.append("NAT (the capture shows it: \(s.original)'s packets leave \(v.name) as from \(s.translated)): " + rule)
        }
        guard !input.isEmpty || !forward.isEmpty || !nat.isEmpty else { return ("", []) }
        var lines: [String] = []
        if !input.isEmpty || !forward.isEmpty {
            lines += ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"] + input + forward + ["COMMIT"]
        }
        if !nat.isEmpty {
            lines += ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"] + nat + ["COMMIT"]
        }
        return (lines.joined(separator: "\n"), notes)
    }
}
