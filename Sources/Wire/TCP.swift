// TCP (RFC 9293) with options (MSS, window scale, SACK, timestamps).
//
//  0               16              31
//  |  source port  |   dest port   |
//  |        sequence number        |
//  |     acknowledgment number     |
//  |off|res| flags |    window     |
//  |   checksum    | urgent pointer|
//  |   options (offset > 5) …      |

/// Sequence-space order (RFC 1982; the kernel's `after(seq1, seq2)`): `a` is after `b`.
public func seqAfter(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }

public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)

    /// tcpdump's letters: S F R P . U E W (ack is ".").
    public var description: String {
        var s = ""
        if contains(.syn) { s += "S" }
        if contains(.fin) { s += "F" }
        if contains(.rst) { s += "R" }
        if contains(.psh) { s += "P" }
        if contains(.urg) { s += "U" }
        if contains(.ece) { s += "E" }
        if contains(.cwr) { s += "W" }
        if contains(.ack) { s += "." }
        return s.isEmpty ? "none" : s
    }
}

public enum TCPOption: Hashable, Sendable, CustomStringConvertible {
    case endOfList, noOperation
    case maxSegmentSize(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    case sack([ClosedRange<UInt32>])
    case timestamp(value: UInt32, echo: UInt32)
    case unknown(kind: UInt8, data: [UInt8])

    public var description: String {
        switch self {
        case .endOfList: "eol"
        case .noOperation: "nop"
        case .maxSegmentSize(let m): "mss \(m)"
        case .windowScale(let w): "wscale \(w)"
        case .sackPermitted: "sackOK"
        case .sack(let blocks): "sack \(blocks.count)"
        case .timestamp(let v, let e): "TS val \(v) ecr \(e)"
        case .unknown(let k, _): "opt-\(k)"
        }
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<[TCPOption], WireError> {
        var out: [TCPOption] = []
        var i = 0
        while i < bytes.count {
            let kind = bytes[i]
            if kind == 0 { out.append(.endOfList); break }
            if kind == 1 { out.append(.noOperation); i += 1; continue }
            guard i + 1 < bytes.count else { return .failure(.badOption(.tcp, offset: 20 + i)) }
            let len = Int(bytes[i + 1])
            guard len >= 2, i + len <= bytes.count else { return .failure(.badOption(.tcp, offset: 20 + i)) }
            let d = bytes.slice(i + 2, len - 2)
            switch (kind, len) {
            case (2, 4): out.append(.maxSegmentSize(d.u16(0)))
            case (3, 3): out.append(.windowScale(d[0]))
            case (4, 2): out.append(.sackPermitted)
            case (5, _) where (len - 2) % 8 == 0:
                out.append(.sack(stride(from: 0, to: len - 2, by: 8).map { d.u32($0)...d.u32($0 + 4) }))
            case (8, 10): out.append(.timestamp(value: d.u32(0), echo: d.u32(4)))
            default: out.append(.unknown(kind: kind, data: Array(d)))
            }
            i += len
        }
        return .success(out)
    }

    public static func emit(_ options: [TCPOption]) -> [UInt8] {
        var out: [UInt8] = []
        for o in options {
            switch o {
            case .endOfList: out.append(0)
            case .noOperation: out.append(1)
            case .maxSegmentSize(let m): out += [2, 4]; out.append16(m)
            case .windowScale(let w): out += [3, 3, w]
            case .sackPermitted: out += [4, 2]
            case .sack(let blocks):
                out += [5, UInt8(2 + 8 * blocks.count)]
                for b in blocks { out.append32(b.lowerBound); out.append32(b.upperBound) }
            case .timestamp(let v, let e): out += [8, 10]; out.append32(v); out.append32(e)
            case .unknown(let k, let d): out += [k, UInt8(2 + d.count)] + d
            }
        }
        while out.count % 4 != 0 { out.append(0) }
        return out
    }
}

public struct TCPSegment {
    public static let minimumHeaderLength = 20
    public let bytes: UnsafeRawBufferPointer

    /// Checks the fixed header is there, the data offset is at least 5 and the header fits.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<TCPSegment, WireError> {
        guard bytes.count >= minimumHeaderLength else { return .failure(.truncated(.tcp, need: 20, have: bytes.count)) }
        let s = TCPSegment(bytes: bytes)
        guard s.dataOffset >= 5 else { return .failure(.badHeaderLength(.tcp, s.headerLength)) }
        guard s.headerLength <= bytes.count else { return .failure(.truncated(.tcp, need: s.headerLength, have: bytes.count)) }
        return .success(s)
    }

    public var sourcePort: UInt16 { bytes.u16(0) }
    public var destinationPort: UInt16 { bytes.u16(2) }
    public var sequenceNumber: UInt32 { bytes.u32(4) }
    public var ackNumber: UInt32 { bytes.u32(8) }
    public var dataOffset: UInt8 { bytes.u8(12) >> 4 }
    public var headerLength: Int { Int(dataOffset) * 4 }
    public var flags: TCPFlags { TCPFlags(rawValue: bytes.u16(12) & 0x01ff) }
    public var window: UInt16 { bytes.u16(14) }
    public var checksum: UInt16 { bytes.u16(16) }
    public var urgentPointer: UInt16 { bytes.u16(18) }
    public var optionBytes: UnsafeRawBufferPointer { bytes.slice(20, headerLength - 20) }
    public var options: Result<[TCPOption], WireError> { TCPOption.parse(optionBytes) }
    public var payload: UnsafeRawBufferPointer { bytes.tail(from: headerLength) }

    /// Verifies over all of `bytes` (the caller passes exactly the IP payload).
    public func checksumIsValid(pseudoHeaderSum: UInt64) -> Bool {
        InternetChecksum.verifies(bytes, initial: pseudoHeaderSum)
    }
}

public struct TCPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var ackNumber: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var urgentPointer: UInt16
    public var options: [TCPOption]
    public var checksumOverride: UInt16? = nil

    public init(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32 = 0, ackNumber: UInt32 = 0,
                flags: TCPFlags, window: UInt16 = 64240, urgentPointer: UInt16 = 0, options: [TCPOption] = []) {
        self.sourcePort = sourcePort; self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber; self.ackNumber = ackNumber; self.flags = flags
        self.window = window; self.urgentPointer = urgentPointer; self.options = options
    }

    public func emit(payload: [UInt8], pseudoHeader: (Int) -> UInt64) -> [UInt8] {
        let opts = TCPOption.emit(options)
        var s = [UInt8]()
        s.reserveCapacity(20 + opts.count + payload.count)
        s.append16(sourcePort); s.append16(destinationPort)
        s.append32(sequenceNumber); s.append32(ackNumber)
        s.append16(UInt16((20 + opts.count) / 4) << 12 | flags.rawValue)
        s.append16(window); s.append16(0); s.append16(urgentPointer)
        s += opts
        s += payload
        s.put16(checksumOverride ?? InternetChecksum.finish(InternetChecksum.sum(s, initial: pseudoHeader(s.count))), at: 16)
        return s
    }
}
