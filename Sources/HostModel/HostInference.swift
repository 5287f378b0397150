// A host inferred from a capture, for when no snapshot is given: one the capture could have been
// taken on. One pass over the frames gathers what they prove (bounded maps: at most `cap`
// entries each); `host(driver:)` (HostInference+Host.swift) turns it into a host, with Linux's
// defaults for everything the capture is silent about, and a note for each thing inferred.
//
// What the pass records, per capture interface (an SLL/SLL2 interface index; one for Ethernet):
//  - the MACs in unicast frames, the sources of PACKET_OUTGOING frames (SLL), and for each MAC
//    the IPv4 addresses it sends from with their hop counts (the initial TTL — 64, 128 or 255 —
//    less the TTL seen: a packet that crossed a router arrives with fewer) and sends to;
//  - ARP: who announced which address, who asked for which;
//  - the same IPv4 packet seen twice with its TTL one lower: forwarded by the MAC of the copy;
//  - TCP: who sent SYN-ACKs (listeners), SYNs with their answers and retransmissions; UDP
//    destinations and the port unreachables about them; ICMP errors about frames not forwarded.
import Wire

public struct HostInference {
    /// The capture's interface: its SLL/SLL2 index, 0 when the link type has none.
    typealias Port = UInt32
    struct Endpoint: Hashable { let ip: IPv4Address; let port: UInt16 }

    /// How one IPv4 address is seen sending from one MAC.
    struct Sender { var frames = 0; var minHops = UInt8.max; var maxHops: UInt8 = 0 }

    struct PortData {
        var frames = 0
        var largest = 0
        var macFrames: [MACAddress: Int] = [:]
        var outgoingMACs: [MACAddress: Int] = [:]
        var sources: [MACAddress: [IPv4Address: Sender]] = [:]
        var destinations: [MACAddress: [IPv4Address: Int]] = [:]
        /// ARP: each MAC's announced (sender) addresses; the addresses asked for (targets of requests).
        var arpSenders: [MACAddress: Set<IPv4Address>] = [:]
        var arpAskedBy: [MACAddress: Set<IPv4Address>] = [:]
        /// The first frame (number) a MAC sent unicast IPv4 to, and the first ARP request a MAC
        /// sent for an address: an address first resolved in the capture is not a neighbour yet.
        var firstIPTo: [MACAddress: Int] = [:]
        var firstARPFor: [IPv4Address: (by: MACAddress, frame: Int)] = [:]
        /// SLL: the destinations of frames the host sent (the header names no destination MAC).
        var sentTo: [IPv4Address: Int] = [:]
        /// Subnet broadcasts (an address sent to ff:ff:ff:ff:ff:ff) by the MAC that sent them.
        var broadcastsBy: [MACAddress: Set<IPv4Address>] = [:]
        /// Frames with no link-layer source at all (a point-to-point or tun device's SLL).
        var withoutMAC = 0
    }

    /// One IPv4 packet by what forwarding leaves unchanged.
    struct Identity: Hashable { let source: IPv4Address; let destination: IPv4Address; let ident: UInt16; let proto: UInt8 }
    struct Sighting { let port: Port; let ttl: UInt8; let sourceMAC: MACAddress?; let frame: Int }
    /// One end of a packet's identity (its source or its destination, ident, protocol): NAT
    /// rewrites the other end, so a NATed copy is found by the end it kept.
    struct HalfIdentity: Hashable { let isSource: Bool; let address: IPv4Address; let ident: UInt16; let proto: UInt8 }
    /// A packet forwarded with its source rewritten (SNAT, masquerade) on `outPort`.
    struct SourceNAT: Hashable { let outPort: Port; let forwarder: MACAddress?; let original: IPv4Address; let translated: IPv4Address }
    /// A packet the capture shows leaving again, TTL one lower.
    struct Forwarded: Hashable {
        let inPort: Port, outPort: Port
        let forwarder: MACAddress?, nextHopMAC: MACAddress?
        let source: IPv4Address, destination: IPv4Address
    }

    /// A flow's first packet as it arrived (a TCP SYN, a UDP datagram with TTL > 1), with the
    /// copies of it forwarded and the answers it got.
    struct Arrival {
        let port: Port
        let destinationMAC: MACAddress?, packetType: PacketType?
        let source: IPv4Address, destination: IPv4Address, proto: UInt8, dport: UInt16
        let isSYN: Bool, ttl: UInt8
        var copies = 0, times = 1
        var answeredBy: [Answer] = []
    }
    /// What answered an arrival: a SYN-ACK, a RST, or an ICMP destination unreachable, and from
    /// which address.
    enum Answer: Equatable { case synAck, reset(from: IPv4Address), unreachable(code: UInt8, from: IPv4Address) }
    struct ArrivalKey: Hashable { let source: IPv4Address; let destination: IPv4Address; let proto: UInt8; let sport: UInt16; let dport: UInt16 }

    var ports: [Port: PortData] = [:]
    var frameNumber = 0
    var synAckFrom: Set<Endpoint> = []
    /// When each endpoint sent SYN-ACKs (first, last) and RST|ACKs (refusing a SYN: no listener then).
    var synAckTimes: [Endpoint: (first: Double, last: Double)] = [:]
    var resetTimes: [Endpoint: [Double]] = [:]
    var now = 0.0
    /// IP protocols (not TCP, UDP or ICMP) each address sends: a raw socket (a routing daemon's,
    /// an SCTP stack's) is what sends and takes them.
    var protocolsFrom: [IPv4Address: Set<UInt8>] = [:]
    /// The same protocols received (unicast), and the protocol unreachables sent about them.
    var protocolsTo: [IPv4Address: Set<UInt8>] = [:]
    var protocolUnreachable: [IPv4Address: Set<UInt8>] = [:]
    /// TCP connections by their two ends (the lower first): whether the first segment the capture
    /// shows of each was a SYN. One that was not was open before the capture began.
    struct Conversation: Hashable { let a: Endpoint; let b: Endpoint }
    var conversations: [Conversation: Bool] = [:]
    var udpTo: Set<Endpoint> = []
    var portUnreachableFor: Set<Endpoint> = []
    var recent: [Identity: Sighting] = [:]
    var recentOrder: [Identity] = []
    var recentNext = 0
    var forwarded: Set<Forwarded> = []
    var halves: [HalfIdentity: (sighting: Sighting, other: IPv4Address)] = [:]
    var sourceNAT: Set<SourceNAT> = []
    var natDestinations: Set<Endpoint> = []
    /// Addresses a MAC's forwarded packets were given by NAT: its own.
    var natSources: [MACAddress: Set<IPv4Address>] = [:]
    /// Addresses a MAC was seen carrying as the source of a forwarded copy: not its own.
    var forwardedSources: [MACAddress: Set<IPv4Address>] = [:]
    var arrivals: [ArrivalKey: Arrival] = [:]
    /// IPv6's facts per interface, and its sockets' evidence (HostInference+IPv6.swift).
    var ports6: [Port: PortData6] = [:]
    var synAck6: Set<Endpoint6> = []
    var udpTo6: Set<Endpoint6> = []
    var portUnreachable6: Set<Endpoint6> = []
    /// Link types without MACs (RAW, IPV4): every address seen, the host's most of all.
    var rawAddresses: [IPv4Address: Int] = [:]
    /// IGMP membership reports, by interface and the MAC that sent them: the groups it joined.
    var igmpGroups: [Port: [MACAddress: Set<IPv4Address>]] = [:]

    static let cap = 100_000
    static let recentCap = 8192

    public init() {}

    /// The hops a packet crossed: the initial TTL Linux (64), Windows (128) or network gear (255)
    /// sends with, less the TTL seen. A TTL an application chose (traceroute's 1, 2, …) counts
    /// as many hops; the address it came from shows hop 0 on its other packets.
    static func hops(_ ttl: UInt8) -> UInt8 {
        // TTL 1 is always an application's choice (eBGP, traceroute's first probe, link-local
        // protocols), never what is left after crossing routers from a Linux, Windows or router start.
        ttl <= 1 ? 0 : ttl <= 64 ? 64 - ttl : ttl <= 128 ? 128 - ttl : 255 - ttl
    }

    /// `wireLength`: the frame's length on the wire (more than `bytes` when a snap length cut it).
    public mutating func add(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, time: Double = 0, wireLength: Int? = nil) {
        frameNumber += 1
        now = time
        guard case .success(let link) = LinkFrame.decode(bytes, as: linkType) else { return }
        let port: Port = link.interfaceIndex ?? 0
        var p = ports[port] ?? PortData()
        defer { ports[port] = p }
        p.frames += 1
        p.largest = max(p.largest, (wireLength ?? bytes.count) - link.networkOffset)
        let srcMAC = link.ethernet?.source ?? link.linkSource
        let dstMAC = link.ethernet?.destination
        let outgoing = link.packetType == .outgoing
        if outgoing, let m = srcMAC { Self.bump(&p.outgoingMACs, m) }
        if srcMAC == nil && link.ethernet == nil { p.withoutMAC += 1 }
        // (IPv6 to a group — neighbour discovery, MLD — counts for neither end: both ends of a
        // conversation send it, so it would only tip a tie.)
        if !(link.networkProtocol == .ipv6 && dstMAC?.isMulticast == true) {
            for m in [srcMAC, dstMAC].compactMap({ $0 }) where !m.isMulticast && m != .zero { Self.bump(&p.macFrames, m) }
        }
        let net = link.network
        switch link.networkProtocol {
        case .arp:
            guard let a = ARPPacket.parse(net).value else { return }
            let sha = a.senderHardwareAddress
            if !a.senderProtocolAddress.isUnspecified { Self.insert(&p.arpSenders, sha, a.senderProtocolAddress) }
            if a.operation == .request {
                Self.insert(&p.arpAskedBy, sha, a.targetProtocolAddress)
                if p.firstARPFor[a.targetProtocolAddress] == nil, p.firstARPFor.count < Self.cap {
                    p.firstARPFor[a.targetProtocolAddress] = (sha, frameNumber)
                }
            }
        case .ipv4:
            guard let ip = IPv4Packet.parseFixedHeader(net).value, ip.version == 4, ip.headerLength >= 20, net.count >= ip.headerLength else { return }
            let (s, t) = (ip.source, ip.destination)
            if let m = srcMAC, !s.isUnspecified {
                var senders = p.sources[m] ?? [:]
                if senders[s] != nil || senders.count < 4096 {
                    var x = senders[s] ?? Sender()
                    x.frames += 1
                    // A multicast or broadcast packet's TTL is the sender's choice (1 for link-local
                    // groups), not a count of routers crossed.
                    let h = t.isMulticast || t.isLimitedBroadcast || (dstMAC?.isMulticast ?? false) ? 0 : Self.hops(ip.ttl)
                    x.minHops = min(x.minHops, h); x.maxHops = max(x.maxHops, h)
                    senders[s] = x
                    if p.sources[m] != nil || p.sources.count < Self.cap { p.sources[m] = senders }
                }
            }
            if srcMAC == nil {
                Self.bump(&rawAddresses, s)
                if !t.isMulticast && !t.isLimitedBroadcast { Self.bump(&rawAddresses, t) }
            }
            if let m = dstMAC, !m.isMulticast, !t.isMulticast, !t.isLimitedBroadcast {
                if p.destinations[m] != nil || p.destinations.count < Self.cap { p.destinations[m, default: [:]][t, default: 0] += 1 }
            }
            if let m = dstMAC, !m.isMulticast, p.firstIPTo[m] == nil, p.firstIPTo.count < Self.cap { p.firstIPTo[m] = frameNumber }
            if outgoing && dstMAC == nil && !t.isMulticast && !t.isLimitedBroadcast { Self.bump(&p.sentTo, t) }
            if dstMAC?.isBroadcast == true, !t.isLimitedBroadcast, !t.isMulticast, let m = srcMAC { Self.insert(&p.broadcastsBy, m, t) }
            sawForwarding(ip, port: port, srcMAC: srcMAC, dstMAC: dstMAC)
            transport(ip, port: port, link: link, srcMAC: srcMAC)
        case .ipv6:
            add6(net, port: port, srcMAC: srcMAC, dstMAC: dstMAC)
        default: break
        }
    }

    /// The same packet again, TTL one lower: the copy's MAC forwarded it.
    mutating func sawForwarding(_ ip: IPv4Packet, port: Port, srcMAC: MACAddress?, dstMAC: MACAddress?) {
        let id = Identity(source: ip.source, destination: ip.destination, ident: ip.ident, proto: ip.protocolNumber)
        if let seen = recent[id], seen.ttl == ip.ttl &+ 1, seen.sourceMAC != srcMAC || seen.port != port {
            if forwarded.count < Self.cap {
                forwarded.insert(Forwarded(inPort: seen.port, outPort: port, forwarder: srcMAC, nextHopMAC: dstMAC,
                                           source: ip.source, destination: ip.destination))
            }
            if let m = srcMAC { Self.insert(&forwardedSources, m, ip.source) }
            if let k = arrivalKey(ip), arrivals[k] != nil { arrivals[k]!.copies += 1 }
        } else if let h = halves[HalfIdentity(isSource: false, address: ip.destination, ident: ip.ident, proto: ip.protocolNumber)],
                  h.sighting.ttl == ip.ttl &+ 1, h.other != ip.source, h.sighting.sourceMAC != srcMAC || h.sighting.port != port {
            // The same packet out again with another source: source NAT (masquerade) on the way out.
            if sourceNAT.count < 4096 { sourceNAT.insert(SourceNAT(outPort: port, forwarder: srcMAC, original: h.other, translated: ip.source)) }
            if forwarded.count < Self.cap {
                forwarded.insert(Forwarded(inPort: h.sighting.port, outPort: port, forwarder: srcMAC, nextHopMAC: dstMAC,
                                           source: ip.source, destination: ip.destination))
            }
            if let m = srcMAC { Self.insert(&natSources, m, ip.source) }
            let l4 = ip.payload
            if ip.protocolNumber == 6 || ip.protocolNumber == 17, l4.count >= 4,
               case let k = ArrivalKey(source: h.other, destination: ip.destination, proto: ip.protocolNumber, sport: l4.u16(0), dport: l4.u16(2)),
               arrivals[k] != nil { arrivals[k]!.copies += 1 }
        } else if let h = halves[HalfIdentity(isSource: true, address: ip.source, ident: ip.ident, proto: ip.protocolNumber)],
                  h.sighting.ttl == ip.ttl &+ 1, h.other != ip.destination, h.sighting.sourceMAC != srcMAC || h.sighting.port != port {
            // … with another destination: an answer to a NATed connection, or a port forward (the
            // address and port it came to were NAT's, not a socket's).
            let l4 = ip.payload
            if ip.protocolNumber == 17 || ip.protocolNumber == 6, l4.count >= 4 { Self.insert(&natDestinations, Endpoint(ip: h.other, port: l4.u16(2))) }
            if forwarded.count < Self.cap {
                forwarded.insert(Forwarded(inPort: h.sighting.port, outPort: port, forwarder: srcMAC, nextHopMAC: dstMAC,
                                           source: ip.source, destination: ip.destination))
            }
            if let m = srcMAC { Self.insert(&forwardedSources, m, ip.source) }
        }
        if recent[id] == nil {
            if recentOrder.count < Self.recentCap { recentOrder.append(id) } else {
                let old = recentOrder[recentNext]
                if let s = recent[old] {
                    for k in [HalfIdentity(isSource: true, address: old.source, ident: old.ident, proto: old.proto),
                              HalfIdentity(isSource: false, address: old.destination, ident: old.ident, proto: old.proto)]
                        where halves[k]?.sighting.frame == s.frame { halves[k] = nil }
                }
                recent[old] = nil
                recentOrder[recentNext] = id
                recentNext = (recentNext + 1) % Self.recentCap
            }
        }
        let sighting = Sighting(port: port, ttl: ip.ttl, sourceMAC: srcMAC, frame: frameNumber)
        recent[id] = sighting
        halves[HalfIdentity(isSource: true, address: ip.source, ident: ip.ident, proto: ip.protocolNumber)] = (sighting, ip.destination)
        halves[HalfIdentity(isSource: false, address: ip.destination, ident: ip.ident, proto: ip.protocolNumber)] = (sighting, ip.source)
    }

    func arrivalKey(_ ip: IPv4Packet) -> ArrivalKey? {
        let l4 = ip.payload
        let ports = (ip.protocolNumber == 6 || ip.protocolNumber == 17) && l4.count >= 4 && !ip.isFragment
        return ArrivalKey(source: ip.source, destination: ip.destination, proto: ip.protocolNumber,
                          sport: ports ? l4.u16(0) : 0, dport: ports ? l4.u16(2) : 0)
    }

    mutating func transport(_ ip: IPv4Packet, port: Port, link: LinkFrame, srcMAC: MACAddress?) {
        let (s, t) = (ip.source, ip.destination)
        let l4 = ip.payload
        guard !ip.isFragment || ip.fragOffset == 0 else { return }
        if ![1, 6, 17].contains(ip.protocolNumber), protocolsFrom[s] != nil || protocolsFrom.count < Self.cap {
            protocolsFrom[s, default: []].insert(ip.protocolNumber)
        }
        if ![1, 2, 6, 17].contains(ip.protocolNumber), !t.isMulticast, !t.isLimitedBroadcast, protocolsTo[t] != nil || protocolsTo.count < Self.cap {
            protocolsTo[t, default: []].insert(ip.protocolNumber)
        }
        switch ip.protocolNumber {
        case 6 where l4.count >= 14:
            let sport = l4.u16(0), dport = l4.u16(2), flags = l4.u8(13)
            let from = Endpoint(ip: s, port: sport), to = Endpoint(ip: t, port: dport)
            let conv = (from.ip.value, from.port) < (to.ip.value, to.port) ? Conversation(a: from, b: to) : Conversation(a: to, b: from)
            if conversations[conv] == nil, conversations.count < Self.cap { conversations[conv] = flags & 0x02 != 0 }
            if flags & 0x12 == 0x12 {
                Self.insert(&synAckFrom, from)
                if let t = synAckTimes[from] { synAckTimes[from] = (t.first, now) } else if synAckTimes.count < Self.cap { synAckTimes[from] = (now, now) }
            }
            if flags & 0x14 == 0x14, l4.u32(4) == 0, resetTimes[from] != nil || resetTimes.count < Self.cap, (resetTimes[from]?.count ?? 0) < 64 {
                resetTimes[from, default: []].append(now)   // RST|ACK with sequence 0: the answer to a SYN
            }
            if flags & 0x12 == 0x02, link.packetType != .outgoing, let k = arrivalKey(ip) {
                noteArrival(k, port: port, link: link, ttl: ip.ttl, isSYN: flags & 0x12 == 0x02)
            }
            if flags & 0x14 != 0 {   // an answer (RST, or SYN-ACK) to the reverse flow
                let k = ArrivalKey(source: t, destination: s, proto: 6, sport: dport, dport: sport)
                if arrivals[k] != nil { arrivals[k]!.answeredBy.append(flags & 0x04 != 0 ? .reset(from: s) : .synAck) }
            }
        case 17 where l4.count >= 8:
            Self.insert(&udpTo, Endpoint(ip: t, port: l4.u16(2)))
            if ip.ttl > 1, link.packetType != .outgoing, let k = arrivalKey(ip) { noteArrival(k, port: port, link: link, ttl: ip.ttl, isSYN: false) }
        case 2 where l4.count >= 8:
            // A membership report names the groups its sender joined: v1/v2 one, in the group
            // field; v3 a record per group (type, aux length, source count, group, sources).
            guard let mac = srcMAC else { return }
            var groups: [IPv4Address] = []
            switch l4.u8(0) {
            case 0x12, 0x16: groups = [IPv4Address(l4.u32(4))]
            case 0x22:
                var o = 8, n = Int(l4.u16(6))
                while n > 0, o + 8 <= l4.count {
                    let recordType = l4.u8(o), aux = Int(l4.u8(o + 1)), sources = Int(l4.u16(o + 2))
                    // MODE_IS_EXCLUDE (2) and CHANGE_TO_EXCLUDE (4) with no sources: an any-source join.
                    if recordType == 2 || recordType == 4 || sources > 0 && (recordType == 1 || recordType == 5) { groups.append(IPv4Address(l4.u32(o + 4))) }
                    o += 8 + sources * 4 + aux * 4; n -= 1
                }
            default: return
            }
            for g in groups where g.isMulticast && g != .allHosts && (igmpGroups[port]?[mac]?.count ?? 0) < 256 {
                igmpGroups[port, default: [:]][mac, default: []].insert(g)
            }
        case 1 where l4.count >= 8 + 20:
            let type = l4.u8(0), code = l4.u8(1)
            guard type == 3 || type == 11 else { return }
            let q = l4.tail(from: 8)
            guard let qip = IPv4Packet.parseFixedHeader(q).value, qip.headerLength >= 20, q.count >= qip.headerLength + 4 else { return }
            let qports = q.tail(from: qip.headerLength)
            if type == 3 && code == 3 { Self.insert(&portUnreachableFor, Endpoint(ip: qip.destination, port: qports.u16(2))) }
            if type == 3 && code == 2, protocolUnreachable[s] != nil || protocolUnreachable.count < Self.cap {
                protocolUnreachable[s, default: []].insert(qip.protocolNumber)   // s refused it
            }
            let k = ArrivalKey(source: qip.source, destination: qip.destination, proto: qip.protocolNumber,
                               sport: qip.protocolNumber == 1 ? 0 : qports.u16(0), dport: qip.protocolNumber == 1 ? 0 : qports.u16(2))
            if type == 3, arrivals[k] != nil { arrivals[k]!.answeredBy.append(.unreachable(code: code, from: s)) }
        default: break
        }
    }

    mutating func noteArrival(_ k: ArrivalKey, port: Port, link: LinkFrame, ttl: UInt8, isSYN: Bool) {
        if arrivals[k] != nil { arrivals[k]!.times += 1; return }
        guard arrivals.count < Self.cap else { return }
        arrivals[k] = Arrival(port: port, destinationMAC: link.ethernet?.destination, packetType: link.packetType,
                              source: k.source, destination: k.destination, proto: k.proto, dport: k.dport, isSYN: isSYN, ttl: ttl)
    }

    static func bump<K: Hashable>(_ d: inout [K: Int], _ k: K) {
        if d[k] != nil || d.count < Self.cap { d[k, default: 0] += 1 }
    }
    static func insert(_ s: inout Set<Endpoint>, _ e: Endpoint) { if s.count < Self.cap { s.insert(e) } }
    static func insert<K: Hashable>(_ d: inout [K: Set<IPv4Address>], _ k: K, _ ip: IPv4Address) {
        if d[k] != nil || d.count < Self.cap { if d[k, default: []].count < 4096 { d[k, default: []].insert(ip) } }
    }

    static func top<K: Comparable>(_ d: [K: Int]) -> K? {
        d.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }
}
