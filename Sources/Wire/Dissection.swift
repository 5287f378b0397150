// A frame read layer by layer, as far as its bytes allow, and its one-line summary in the
// manner of `tcpdump -n`. Each layer is a view over the frame's bytes; nothing is copied.

public struct Dissection {
    public enum Network {
        case ipv4(IPv4Packet)
        case ipv6(IPv6Packet)
        case arp(ARPPacket)
        case other(EtherType)
        case malformed(EtherType, WireError)
    }

    public enum Transport {
        case udp(UDPDatagram)
        case tcp(TCPSegment)
        case icmp(ICMPv4Message)
        case icmpv6(ICMPv6Message)
        /// A non-first IPv4 fragment: no transport header in this frame.
        case laterFragment
        case other(IPProtocol)
        case malformed(IPProtocol, WireError)
    }

    public let link: LinkFrame?
    public let linkError: WireError?
    public let network: Network?
    public let transport: Transport?

    /// `wireLength`: the frame's length on the wire when a snap length captured less of it.
    public init(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int? = nil) {
        switch LinkFrame.decode(bytes, as: linkType) {
        case .failure(let e):
            link = nil; linkError = e; network = nil; transport = nil
        case .success(let l):
            link = l; linkError = nil
            let (n, t) = Self.dissectNetwork(l.network, protocol: l.networkProtocol,
                                             uncaptured: max(0, (wireLength ?? bytes.count) - bytes.count))
            network = n; transport = t
        }
    }

    static func dissectNetwork(_ bytes: UnsafeRawBufferPointer, protocol proto: EtherType, uncaptured: Int) -> (Network, Transport?) {
        switch proto {
        case .ipv4:
            switch IPv4Packet.parse(bytes, uncaptured: uncaptured) {
            case .failure(let e): return (.malformed(proto, e), nil)
            case .success(let ip):
                if ip.fragOffset != 0 { return (.ipv4(ip), .laterFragment) }
                return (.ipv4(ip), dissectTransport(ip.payload, protocol: ip.nextProtocol))
            }
        case .ipv6:
            switch IPv6Packet.parse(bytes) {
            case .failure(let e): return (.malformed(proto, e), nil)
            case .success(let ip): return (.ipv6(ip), dissectTransport(ip.payload, protocol: ip.nextHeader))
            }
        case .arp:
            switch ARPPacket.parse(bytes) {
            case .failure(let e): return (.malformed(proto, e), nil)
            case .success(let a): return (.arp(a), nil)
            }
        default:
            return (.other(proto), nil)
        }
    }

    static func dissectTransport(_ bytes: UnsafeRawBufferPointer, protocol proto: IPProtocol) -> Transport {
        func wrap<T>(_ r: Result<T, WireError>, _ make: (T) -> Transport) -> Transport {
            switch r { case .success(let v): make(v); case .failure(let e): .malformed(proto, e) }
        }
        switch proto {
        case .udp: return wrap(UDPDatagram.parse(bytes), Transport.udp)
        case .tcp: return wrap(TCPSegment.parse(bytes), Transport.tcp)
        case .icmp: return wrap(ICMPv4Message.parse(bytes), Transport.icmp)
        case .icmpv6: return wrap(ICMPv6Message.parse(bytes), Transport.icmpv6)
        default: return .other(proto)
        }
    }

    /// One line in the manner of `tcpdump -n` (absolute sequence numbers, as with `-S`).
    public var summary: String {
        guard let link else { return "[\(linkError.map(String.init(describing:)) ?? "unreadable")]" }
        var prefix = ""
        if let eth = link.ethernet {
            // (The tags one by one: `vlanTags` makes two arrays a frame.)
            if let tag = eth.outerTag { prefix += "\(tag), " }
            if let tag = eth.innerTag { prefix += "\(tag), " }
        }
        guard let network else { return prefix + "[no network layer]" }
        switch network {
        case .other(let t):
            return prefix + "\(t), length \(link.network.count)"
        case .malformed(let t, let e):
            return prefix + "\(t == .ipv4 ? "IP" : t == .ipv6 ? "IP6" : t.description) [\(e)]"
        case .arp(let a):
            return prefix + Self.summarize(a)
        case .ipv4(let ip):
            // Written as bytes into one buffer: interpolating each piece into a string of its
            // own and joining them cost more than the rest of a frame's JSON.
            var line = SummaryLine(prefix)
            line += "IP "
            Self.summarize(transport, src: .v4(ip.source), dst: .v4(ip.destination), proto: ip.nextProtocol,
                           payloadLength: ip.payload.count, into: &line)
            if ip.isFragment {
                line += " (frag "; line.number(ip.ident); line += ":"; line.number(ip.payload.count)
                line += "@"; line.number(ip.fragOffset); line += ip.moreFrags ? "+)" : ")"
            }
            if case .failure(let e) = ip.options { line.text(" [\(e)]") }
            return line.string
        case .ipv6(let ip):
            var line = SummaryLine(prefix)
            line += "IP6 "
            Self.summarize(transport, src: .v6(ip.source), dst: .v6(ip.destination), proto: ip.nextHeader,
                           payloadLength: ip.payload.count, into: &line)
            return line.string
        }
    }

    /// The part of `summary` after "IP " or "IP6 ": addresses, ports and the transport's words.
    static func summarize(_ t: Transport?, src: IPAddress, dst: IPAddress, proto: IPProtocol, payloadLength: Int, into line: inout SummaryLine) {
        func ends(_ sport: UInt16, _ dport: UInt16) {
            line.address(src); line += "."; line.number(sport); line += " > "; line.address(dst); line += "."; line.number(dport); line += ": "
        }
        switch t {
        case .udp(let u)?:
            ends(u.sourcePort, u.destinationPort)
            line += "UDP, length "; line.number(Int(u.length) - 8)
        case .tcp(let s)?:
            ends(s.sourcePort, s.destinationPort)
            line += "Flags ["; line.text(s.flags.description); line += "], seq "; line.number(s.sequenceNumber)
            if s.flags.contains(.ack) { line += ", ack "; line.number(s.ackNumber) }
            line += ", win "; line.number(s.window)
            if case .success(let opts) = s.options, !opts.isEmpty {
                line += ", options ["
                for (i, o) in opts.enumerated() { if i > 0 { line += "," }; line.text(o.description) }
                line += "]"
            }
            line += ", length "; line.number(payloadLength - s.headerLength)
        case .icmp(let m)?:
            line.address(src); line += " > "; line.address(dst); line += ": ICMP "; line.text(m.kind.description)
            switch m.kind {
            case .echoRequest, .echoReply: line += ", id "; line.number(m.echoIdent); line += ", seq "; line.number(m.echoSequence)
            case .destinationUnreachable(code: 4): line += ", mtu "; line.number(m.nextHopMTU)
            default: break
            }
            line += ", length "; line.number(m.bytes.count)
        case .icmpv6(let m)?:
            line.text("\(src) > \(dst): ICMP6, \(m.typeName), length \(m.bytes.count)")
        case .malformed(let p, let e)?:
            line.text("\(src) > \(dst): \(p) [\(e)]")
        case .laterFragment?, .other?, nil:
            line.text("\(src) > \(dst): \(proto)")
        }
    }

    static func summarize(_ a: ARPPacket) -> String {
        var line = SummaryLine("")
        switch a.operation {
        case .request:
            line += "ARP, Request who-has "; line.address(.v4(a.targetProtocolAddress))
            line += " tell "; line.address(.v4(a.senderProtocolAddress))
        case .reply:
            line += "ARP, Reply "; line.address(.v4(a.senderProtocolAddress))
            line += " is-at "; line.mac(a.senderHardwareAddress)
        case .unknown(let op):
            line += "ARP, op "; line.number(Int(op))
        }
        line += ", length "; line.number(a.bytes.count)
        return line.string
    }
}

/// A summary line as UTF-8 bytes, made into a String once.
public struct SummaryLine {
    private var bytes: [UInt8] = []

    init(_ prefix: String) {
        bytes.reserveCapacity(128)
        text(prefix)
    }

    static func += (l: inout SummaryLine, s: StaticString) {
        l.bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    mutating func text(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func number(_ v: Int) { appendDecimal(v, to: &bytes) }
    mutating func mac(_ m: MACAddress) { m.appendText(to: &bytes) }
    mutating func address(_ a: IPAddress) { a.appendText(to: &bytes) }
    mutating func number(_ v: UInt16) { appendDecimal(Int(v), to: &bytes) }
    mutating func number(_ v: UInt32) { appendDecimal(Int(v), to: &bytes) }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
