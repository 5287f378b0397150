// IPv6 fixed header (RFC 8200). Extension headers are not walked yet.
//
//  0       4               12                      31
//  |version| traffic class |      flow label       |
//  |       payload length  | next header | hop limit|
//  |              source address (16)              |
//  |           destination address (16)            |

public struct IPv6Packet {
    public static let headerLength = 40
    public let bytes: UnsafeRawBufferPointer

    /// A view with no checks (the caller has checked there are 40 bytes).
    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Checks that the fixed header is there and the version is 6.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<IPv6Packet, WireError> {
        guard bytes.count >= headerLength else { return .failure(.truncated(.ipv6, need: headerLength, have: bytes.count)) }
        let p = IPv6Packet(bytes: bytes)
        guard p.version == 6 else { return .failure(.badVersion(.ipv6, p.version)) }
        return .success(p)
    }

    public var version: UInt8 { bytes.u8(0) >> 4 }
    public var trafficClass: UInt8 { UInt8((bytes.u16(0) >> 4) & 0xff) }
    public var flowLabel: UInt32 { bytes.u32(0) & 0x000f_ffff }
    public var payloadLength: UInt16 { bytes.u16(4) }
    public var nextHeader: IPProtocol { IPProtocol(bytes.u8(6)) }
    public var nextHeaderNumber: UInt8 { bytes.u8(6) }
    public var hopLimit: UInt8 { bytes.u8(7) }
    public var source: IPv6Address { IPv6Address(bytes, at: 8) }
    public var destination: IPv6Address { IPv6Address(bytes, at: 24) }
    /// Payload up to payload length (clipped to what was captured).
    public var payload: UnsafeRawBufferPointer { bytes.slice(Self.headerLength, Int(payloadLength)) }

    public func pseudoHeaderSum(length: Int) -> UInt64 {
        InternetChecksum.pseudoHeader(source: source, destination: destination, nextHeader: nextHeaderNumber, length: length)
    }
}

public struct IPv6Header: Hashable, Sendable {
    public var source: IPv6Address
    public var destination: IPv6Address
    public var nextHeader: UInt8
    public var hopLimit: UInt8
    public var trafficClass: UInt8
    public var flowLabel: UInt32

    public init(source: IPv6Address, destination: IPv6Address, nextHeader: IPProtocol, hopLimit: UInt8 = 64,
                trafficClass: UInt8 = 0, flowLabel: UInt32 = 0) {
        self.source = source; self.destination = destination; self.nextHeader = nextHeader.rawValue
        self.hopLimit = hopLimit; self.trafficClass = trafficClass; self.flowLabel = flowLabel
    }

    public func pseudoHeaderSum(length: Int) -> UInt64 {
        InternetChecksum.pseudoHeader(source: source, destination: destination, nextHeader: nextHeader, length: length)
    }

    public func emit(payload: [UInt8]) -> [UInt8] {
        var h = [UInt8]()
        h.reserveCapacity(40 + payload.count)
        h.append32(6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0x000f_ffff))
        h.append16(UInt16(clamping: payload.count))
        h.append(nextHeader)
        h.append(hopLimit)
        h += source.bytes
        h += destination.bytes
        h += payload
        return h
    }
}
