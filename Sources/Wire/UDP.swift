// UDP (RFC 768): ports, length, checksum over the pseudo-header (0 = none, IPv4 only).

public struct UDPDatagram {
    public static let headerLength = 8
    public let bytes: UnsafeRawBufferPointer

    /// Checks the 8-byte header is there. The length field is the caller's to judge
    /// (`udp_rcv` checks it against the IP payload in its own order).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<UDPDatagram, WireError> {
        guard bytes.count >= headerLength else { return .failure(.truncated(.udp, need: headerLength, have: bytes.count)) }
        return .success(UDPDatagram(bytes: bytes))
    }

    public var sourcePort: UInt16 { bytes.u16(0) }
    public var destinationPort: UInt16 { bytes.u16(2) }
    public var length: UInt16 { bytes.u16(4) }
    public var checksum: UInt16 { bytes.u16(6) }
    /// Payload up to the length field (clipped to what was captured).
    public var payload: UnsafeRawBufferPointer { bytes.slice(Self.headerLength, Int(length) - Self.headerLength) }

    /// Verifies over `length` bytes with the given pseudo-header sum. A zero checksum means "not
    /// computed" and passes (IPv4; the IPv6 caller must reject it).
    public func checksumIsValid(pseudoHeaderSum: UInt64) -> Bool {
        if checksum == 0 { return true }
        return InternetChecksum.verifies(bytes.slice(0, Int(length)), initial: pseudoHeaderSum)
    }
}

public struct UDPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var lengthOverride: UInt16? = nil
    public var checksumOverride: UInt16? = nil

    public init(sourcePort: UInt16, destinationPort: UInt16) {
        self.sourcePort = sourcePort; self.destinationPort = destinationPort
    }

    /// Header and payload; the checksum uses `pseudoHeader(length)` for the datagram's length
    /// (pass `ip.pseudoHeaderSum`).
    public func emit(payload: [UInt8], pseudoHeader: (Int) -> UInt64) -> [UInt8] {
        var d = [UInt8]()
        d.reserveCapacity(8 + payload.count)
        let length = 8 + payload.count
        d.append16(sourcePort); d.append16(destinationPort)
        d.append16(lengthOverride ?? UInt16(clamping: length)); d.append16(0)
        d += payload
        var csum = InternetChecksum.finish(InternetChecksum.sum(d, initial: pseudoHeader(length)))
        if csum == 0 { csum = 0xffff }
        d.put16(checksumOverride ?? csum, at: 6)
        return d
    }
}
