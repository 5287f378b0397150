// ICMP for IPv4 (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum, four bytes of "rest of
// header", then the body (echo data, or the quoted packet of an error).

public struct ICMPv4Message {
    public static let headerLength = 8
    public let bytes: UnsafeRawBufferPointer

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<ICMPv4Message, WireError> {
        guard bytes.count >= headerLength else { return .failure(.truncated(.icmp, need: headerLength, have: bytes.count)) }
        return .success(ICMPv4Message(bytes: bytes))
    }

    public var type: UInt8 { bytes.u8(0) }
    public var code: UInt8 { bytes.u8(1) }
    public var checksum: UInt16 { bytes.u16(2) }
    /// Echo identifier and sequence (types 0 and 8).
    public var echoIdent: UInt16 { bytes.u16(4) }
    public var echoSequence: UInt16 { bytes.u16(6) }
    /// Next-hop MTU of a "fragmentation needed" (type 3 code 4).
    public var nextHopMTU: UInt16 { bytes.u16(6) }
    /// The gateway of a redirect (type 5); the pointer of a parameter problem (type 12) is its first byte.
    public var restOfHeader: UInt32 { bytes.u32(4) }
    public var body: UnsafeRawBufferPointer { bytes.tail(from: Self.headerLength) }
    public var checksumIsValid: Bool { InternetChecksum.verifies(bytes) }

    public var kind: ICMPv4Kind { ICMPv4Kind(type: type, code: code) }
}

/// ICMP type/code pairs by the names tcpdump and the kernel use.
public enum ICMPv4Kind: Hashable, Sendable, CustomStringConvertible {
    case echoReply, echoRequest, destinationUnreachable(code: UInt8), redirect(code: UInt8)
    case timeExceeded(code: UInt8), parameterProblem(code: UInt8), timestampRequest, timestampReply, other(type: UInt8, code: UInt8)

    public init(type: UInt8, code: UInt8) {
        switch type {
        case 0: self = .echoReply
        case 8: self = .echoRequest
        case 3: self = .destinationUnreachable(code: code)
        case 5: self = .redirect(code: code)
        case 11: self = .timeExceeded(code: code)
        case 12: self = .parameterProblem(code: code)
        case 13: self = .timestampRequest
        case 14: self = .timestampReply
        default: self = .other(type: type, code: code)
        }
    }

    public static let unreachableNames: [UInt8: String] = [
        0: "net unreachable", 1: "host unreachable", 2: "protocol unreachable", 3: "port unreachable",
        4: "fragmentation needed", 5: "source route failed", 6: "net unknown", 7: "host unknown",
        9: "net prohibited", 10: "host prohibited", 11: "net unreachable for TOS",
        12: "host unreachable for TOS", 13: "administratively prohibited",
    ]

    public var description: String {
        switch self {
        case .echoReply: "echo reply"
        case .echoRequest: "echo request"
        case .destinationUnreachable(let c): Self.unreachableNames[c] ?? "unreachable code \(c)"
        case .redirect(let c): "redirect code \(c)"
        case .timeExceeded(let c): c == 0 ? "time exceeded in-transit" : "ip reassembly time exceeded"
        case .parameterProblem(let c): "parameter problem code \(c)"
        case .timestampRequest: "time stamp query"
        case .timestampReply: "time stamp reply"
        case .other(let t, let c): "type \(t) code \(c)"
        }
    }
}

public struct ICMPv4Header: Hashable, Sendable {
    public var type: UInt8
    public var code: UInt8
    public var restOfHeader: UInt32
    public var checksumOverride: UInt16? = nil

    public init(type: UInt8, code: UInt8, restOfHeader: UInt32 = 0) {
        self.type = type; self.code = code; self.restOfHeader = restOfHeader
    }
    public static func echoRequest(ident: UInt16, sequence: UInt16) -> ICMPv4Header {
        ICMPv4Header(type: 8, code: 0, restOfHeader: UInt32(ident) << 16 | UInt32(sequence))
    }
    public static func echoReply(ident: UInt16, sequence: UInt16) -> ICMPv4Header {
        ICMPv4Header(type: 0, code: 0, restOfHeader: UInt32(ident) << 16 | UInt32(sequence))
    }
    /// Destination unreachable; `mtu` is the next-hop MTU for code 4.
    public static func unreachable(code: UInt8, mtu: UInt16 = 0) -> ICMPv4Header {
        ICMPv4Header(type: 3, code: code, restOfHeader: UInt32(mtu))
    }
    public static func timeExceeded(code: UInt8) -> ICMPv4Header { ICMPv4Header(type: 11, code: code) }

    /// The message with its checksum (over header and body, no pseudo-header in ICMPv4).
    public func emit(body: [UInt8]) -> [UInt8] {
        var m = [UInt8]()
        m.reserveCapacity(8 + body.count)
        m.append(type); m.append(code); m.append16(0); m.append32(restOfHeader)
        m += body
        m.put16(checksumOverride ?? InternetChecksum.finish(InternetChecksum.sum(m)), at: 2)
        return m
    }
}

public struct ICMPv6Message {
    public static let headerLength = 8
    public let bytes: UnsafeRawBufferPointer

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<ICMPv6Message, WireError> {
        guard bytes.count >= headerLength else { return .failure(.truncated(.icmpv6, need: headerLength, have: bytes.count)) }
        return .success(ICMPv6Message(bytes: bytes))
    }

    public var type: UInt8 { bytes.u8(0) }
    public var code: UInt8 { bytes.u8(1) }
    public var checksum: UInt16 { bytes.u16(2) }
    public var restOfHeader: UInt32 { bytes.u32(4) }
    public var body: UnsafeRawBufferPointer { bytes.tail(from: Self.headerLength) }

    public func checksumIsValid(pseudoHeaderSum: UInt64) -> Bool { InternetChecksum.verifies(bytes, initial: pseudoHeaderSum) }

    public var typeName: String {
        switch type {
        case 1: "destination unreachable"
        case 2: "packet too big"
        case 3: "time exceeded"
        case 4: "parameter problem"
        case 128: "echo request"
        case 129: "echo reply"
        case 133: "router solicitation"
        case 134: "router advertisement"
        case 135: "neighbor solicitation"
        case 136: "neighbor advertisement"
        case 137: "redirect"
        case 143: "multicast listener report v2"
        default: "type \(type)"
        }
    }
}

public struct ICMPv6Header: Hashable, Sendable {
    public var type: UInt8
    public var code: UInt8
    public var restOfHeader: UInt32
    public init(type: UInt8, code: UInt8, restOfHeader: UInt32 = 0) {
        self.type = type; self.code = code; self.restOfHeader = restOfHeader
    }
    /// The message with its checksum over the IPv6 pseudo-header, header and body.
    public func emit(body: [UInt8], ip: IPv6Header) -> [UInt8] {
        var m = [UInt8]()
        m.append(type); m.append(code); m.append16(0); m.append32(restOfHeader)
        m += body
        let pseudo = InternetChecksum.pseudoHeader(source: ip.source, destination: ip.destination, nextHeader: 58, length: m.count)
        m.put16(InternetChecksum.finish(InternetChecksum.sum(m, initial: pseudo)), at: 2)
        return m
    }
}
