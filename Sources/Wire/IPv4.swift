// IPv4 (RFC 791), options included.
//
//  0       4       8              16    19             31
//  |version|  IHL  |    TOS       |       total length   |
//  |        identification        |flags| fragment offset|
//  |    TTL        |   protocol   |    header checksum   |
//  |                      source address                 |
//  |                    destination address              |
//  |                options (IHL > 5) …                  |

public struct IPv4Packet {
    public static let minimumHeaderLength = 20

    /// From the first header byte to the end of the captured bytes (which may run past total
    /// length: Ethernet padding).
    public let bytes: UnsafeRawBufferPointer

    /// Only the fixed 20 bytes are checked: version, IHL and lengths are left for the caller to
    /// judge in its own order (the kernel model checks them as `ip_rcv_core` does).
    public static func parseFixedHeader(_ bytes: UnsafeRawBufferPointer) -> Result<IPv4Packet, WireError> {
        guard bytes.count >= minimumHeaderLength else {
            return .failure(.truncated(.ipv4, need: minimumHeaderLength, have: bytes.count))
        }
        return .success(IPv4Packet(bytes: bytes))
    }

    /// Checks version, IHL, that the header is all there, and that total length covers the header
    /// and is no longer than the bytes. `uncaptured` is how many bytes a snap length cut off the
    /// end of the frame: total length may run into them.
    public static func parse(_ bytes: UnsafeRawBufferPointer, uncaptured: Int = 0) -> Result<IPv4Packet, WireError> {
        let fixed = parseFixedHeader(bytes)
        guard case .success(let p) = fixed else { return fixed }
        if p.version != 4 { return .failure(.badVersion(.ipv4, p.version)) }
        if p.ihl < 5 { return .failure(.badHeaderLength(.ipv4, p.headerLength)) }
        if bytes.count < p.headerLength { return .failure(.truncated(.ipv4, need: p.headerLength, have: bytes.count)) }
        let total = Int(p.totalLength)
        if total < p.headerLength || total > bytes.count + uncaptured { return .failure(.badTotalLength(.ipv4, total)) }
        return .success(p)
    }

    public var version: UInt8 { bytes.u8(0) >> 4 }
    /// The header length in 32-bit words.
    public var ihl: UInt8 { bytes.u8(0) & 0x0f }
    public var headerLength: Int { Int(ihl) * 4 }
    public var tos: UInt8 { bytes.u8(1) }
    public var dscp: UInt8 { tos >> 2 }
    public var ecn: UInt8 { tos & 3 }
    public var totalLength: UInt16 { bytes.u16(2) }
    public var ident: UInt16 { bytes.u16(4) }
    public var reservedFlag: Bool { bytes.u8(6) & 0x80 != 0 }
    public var dontFrag: Bool { bytes.u8(6) & 0x40 != 0 }
    public var moreFrags: Bool { bytes.u8(6) & 0x20 != 0 }
    /// In bytes (the field counts 8-byte units).
    public var fragOffset: Int { Int(bytes.u16(6) & 0x1fff) * 8 }
    public var isFragment: Bool { moreFrags || fragOffset != 0 }
    public var ttl: UInt8 { bytes.u8(8) }
    public var nextProtocol: IPProtocol { IPProtocol(bytes.u8(9)) }
    public var protocolNumber: UInt8 { bytes.u8(9) }
    public var checksum: UInt16 { bytes.u16(10) }
    public var source: IPv4Address { IPv4Address(bytes.u32(12)) }
    public var destination: IPv4Address { IPv4Address(bytes.u32(16)) }

    /// The header bytes (clipped to what was captured).
    public var header: UnsafeRawBufferPointer { bytes.slice(0, headerLength) }
    /// Option bytes between the fixed header and IHL×4.
    public var optionBytes: UnsafeRawBufferPointer { headerLength > 20 ? bytes.slice(20, headerLength - 20) : bytes.slice(0, 0) }
    /// The payload up to total length (clipped to what was captured).
    public var payload: UnsafeRawBufferPointer {
        bytes.slice(headerLength, Int(totalLength) - headerLength)
    }

    /// The header checksum is right (sum over IHL×4 bytes folds to zero).
    public var headerChecksumIsValid: Bool {
        bytes.count >= headerLength && InternetChecksum.verifies(header)
    }

    /// The options, or where they are malformed.
    public var options: Result<[IPv4Option], WireError> { IPv4Option.parse(optionBytes) }

    /// Where a TCP or UDP checksum the sender left to the device would be finished: the
    /// transport header's offset from the IPv4 header and the field's offset in it (16 for TCP,
    /// 6 for UDP) — when the field holds only the pseudo-header sum (CHECKSUM_PARTIAL, see
    /// `InternetChecksum.isPseudoHeaderOnly`) of an unfragmented packet. Nil otherwise.
    public var partialChecksum: (start: Int, offset: Int)? {
        guard protocolNumber == 6 || protocolNumber == 17, !isFragment, bytes.count >= headerLength else { return nil }
        let p = payload
        let at = protocolNumber == 6 ? 16 : 6
        guard p.count >= at + 2 else { return nil }
        let field = p.u16(at)
        if protocolNumber == 17 && field == 0 { return nil }
        guard InternetChecksum.isPseudoHeaderOnly(field, pseudo: pseudoHeaderSum(length: Int(totalLength) - headerLength)) else { return nil }
        return (headerLength, at)
    }

    /// The pseudo-header sum for an upper-layer checksum over `length` bytes.
    public func pseudoHeaderSum(length: Int) -> UInt64 {
        InternetChecksum.pseudoHeader(source: source, destination: destination, protocol: protocolNumber, length: length)
    }
}

/// One IPv4 option.
public struct IPv4Option: Hashable, Sendable, CustomStringConvertible {
    public var type: UInt8
    /// The option's data after type and length (empty for EOL and NOP).
    public var data: [UInt8]

    public init(type: UInt8, data: [UInt8] = []) { self.type = type; self.data = data }

    public static let endOfList: UInt8 = 0, noOperation: UInt8 = 1, recordRoute: UInt8 = 7
    public static let timestamp: UInt8 = 68, looseSourceRoute: UInt8 = 131, strictSourceRoute: UInt8 = 137
    public static let routerAlert: UInt8 = 148, security: UInt8 = 130, streamID: UInt8 = 136

    /// The "copied" flag: the option is repeated in every fragment (RFC 791; ip_options_fragment).
    public var isCopied: Bool { type & 0x80 != 0 }
    public var length: Int { type <= 1 ? 1 : 2 + data.count }

    public var name: String {
        switch type {
        case 0: "EOL"
        case 1: "NOP"
        case 7: "RR"
        case 68: "TS"
        case 130: "SEC"
        case 131: "LSRR"
        case 136: "SID"
        case 137: "SSRR"
        case 148: "RA"
        default: "opt-\(type)"
        }
    }
    public var description: String { name }

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<[IPv4Option], WireError> {
        var out: [IPv4Option] = []
        var i = 0
        while i < bytes.count {
            let t = bytes[i]
            if t == endOfList { out.append(IPv4Option(type: t)); break }
            if t == noOperation { out.append(IPv4Option(type: t)); i += 1; continue }
            guard i + 1 < bytes.count else { return .failure(.badOption(.ipv4, offset: 20 + i)) }
            let len = Int(bytes[i + 1])
            guard len >= 2, i + len <= bytes.count else { return .failure(.badOption(.ipv4, offset: 20 + i)) }
            out.append(IPv4Option(type: t, data: Array(bytes[(i + 2)..<(i + len)])))
            i += len
        }
        return .success(out)
    }

    public static func emit(_ options: [IPv4Option]) -> [UInt8] {
        var out: [UInt8] = []
        for o in options {
            out.append(o.type)
            if o.type > 1 { out.append(UInt8(2 + o.data.count)); out += o.data }
        }
        while out.count % 4 != 0 { out.append(endOfList) }
        return out
    }
}

/// The fields of an IPv4 header, to build one. Total length and checksum are computed on emit.
public struct IPv4Header: Hashable, Sendable {
    public var source: IPv4Address
    public var destination: IPv4Address
    public var protocolNumber: UInt8
    public var ttl: UInt8
    public var tos: UInt8
    public var ident: UInt16
    public var dontFrag: Bool
    public var moreFrags: Bool
    /// In bytes; must be a multiple of 8.
    public var fragOffset: Int
    /// Already padded to a multiple of 4 by `IPv4Option.emit`, or raw bytes of the caller's choice.
    public var options: [UInt8]
    /// Overrides for building deliberately broken packets in tests and fixtures.
    public var versionOverride: UInt8? = nil
    public var ihlOverride: UInt8? = nil
    public var totalLengthOverride: UInt16? = nil
    public var checksumOverride: UInt16? = nil

    public init(source: IPv4Address, destination: IPv4Address, protocol proto: IPProtocol, ttl: UInt8 = 64,
                tos: UInt8 = 0, ident: UInt16 = 0, dontFrag: Bool = true, moreFrags: Bool = false,
                fragOffset: Int = 0, options: [UInt8] = []) {
        self.source = source; self.destination = destination; protocolNumber = proto.rawValue
        self.ttl = ttl; self.tos = tos; self.ident = ident; self.dontFrag = dontFrag
        self.moreFrags = moreFrags; self.fragOffset = fragOffset; self.options = options
    }

    public var headerLength: Int { 20 + options.count }

    /// Pseudo-header sum for an upper layer of `length` bytes.
    public func pseudoHeaderSum(length: Int) -> UInt64 {
        InternetChecksum.pseudoHeader(source: source, destination: destination, protocol: protocolNumber, length: length)
    }

    /// The header followed by `payload`, with total length and header checksum filled in.
    public func emit(payload: [UInt8]) -> [UInt8] {
        precondition(options.count <= 40 && options.count % 4 == 0 || ihlOverride != nil,
                     "IPv4 options are at most 40 bytes, padded to 4 (IPv4Option.emit pads)")
        var h = [UInt8]()
        h.reserveCapacity(headerLength + payload.count)
        let ihl = ihlOverride ?? UInt8(headerLength / 4)
        h.append((versionOverride ?? 4) << 4 | (ihl & 0x0f))
        h.append(tos)
        h.append16(totalLengthOverride ?? UInt16(clamping: headerLength + payload.count))
        h.append16(ident)
        let flags: UInt16 = (dontFrag ? 0x4000 : 0) | (moreFrags ? 0x2000 : 0)
        h.append16(flags | UInt16((fragOffset / 8) & 0x1fff))
        h.append(ttl)
        h.append(protocolNumber)
        h.append16(0)
        h += source.bytes
        h += destination.bytes
        h += options
        let csum = checksumOverride ?? InternetChecksum.finish(InternetChecksum.sum(h))
        h.put16(csum, at: 10)
        h += payload
        return h
    }
}
