// Ethernet II with up to two VLAN tags (802.1Q, and 802.1ad outer + 802.1Q inner).
//
//  0      6      12           12+4k        14+4k
//  | dst  | src  | [TPID TCI]* | EtherType | payload …

/// One 802.1Q/802.1ad tag.
public struct VLANTag: Hashable, Sendable, CustomStringConvertible {
    /// 0x8100 (802.1Q) or 0x88a8 (802.1ad service tag).
    public var tpid: UInt16
    public var tci: UInt16
    public init(tpid: UInt16 = 0x8100, vid: UInt16, pcp: UInt8 = 0, dei: Bool = false) {
        self.tpid = tpid
        tci = UInt16(pcp & 7) << 13 | (dei ? 0x1000 : 0) | (vid & 0x0fff)
    }
    public init(tpid: UInt16, tci: UInt16) { self.tpid = tpid; self.tci = tci }
    public var vid: UInt16 { tci & 0x0fff }
    public var pcp: UInt8 { UInt8(tci >> 13) }
    public var dei: Bool { tci & 0x1000 != 0 }
    public var description: String { tpid == 0x88a8 ? "802.1ad vlan \(vid)" : "vlan \(vid)" }
}

public struct EthernetFrame {
    public static let headerLength = 14
    public static let maximumTags = 2

    public let bytes: UnsafeRawBufferPointer
    /// Offset of the (innermost) EtherType field.
    public let typeOffset: Int
    public let outerTag: VLANTag?
    public let innerTag: VLANTag?

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<EthernetFrame, WireError> {
        guard bytes.count >= headerLength else { return .failure(.truncated(.ethernet, need: headerLength, have: bytes.count)) }
        var offset = 12
        var tags: (VLANTag?, VLANTag?) = (nil, nil)
        var n = 0
        while n < maximumTags {
            let tpid = bytes.u16(offset)
            guard tpid == 0x8100 || tpid == 0x88a8 else { break }
            guard bytes.count >= offset + 4 + 2 else { return .failure(.truncated(.vlan, need: offset + 6, have: bytes.count)) }
            let tag = VLANTag(tpid: tpid, tci: bytes.u16(offset + 2))
            if n == 0 { tags.0 = tag } else { tags.1 = tag }
            offset += 4
            n += 1
        }
        return .success(EthernetFrame(bytes: bytes, typeOffset: offset, outerTag: tags.0, innerTag: tags.1))
    }

    public var destination: MACAddress { MACAddress(bytes, at: 0) }
    public var source: MACAddress { MACAddress(bytes, at: 6) }
    public var etherType: EtherType { EtherType(bytes.u16(typeOffset)) }
    /// 14 plus 4 per tag.
    public var headerLength: Int { typeOffset + 2 }
    public var payload: UnsafeRawBufferPointer { bytes.tail(from: headerLength) }
    public var vlanTags: [VLANTag] { [outerTag, innerTag].compactMap { $0 } }
}

/// The fields of an Ethernet header, to build one.
public struct EthernetHeader: Hashable, Sendable {
    public var destination: MACAddress
    public var source: MACAddress
    public var tags: [VLANTag]
    public var etherType: EtherType

    public init(destination: MACAddress, source: MACAddress, tags: [VLANTag] = [], etherType: EtherType) {
        self.destination = destination; self.source = source; self.tags = tags; self.etherType = etherType
    }

    public var length: Int { 14 + 4 * tags.count }

    /// The header followed by `payload`. No padding: the kernel hands the driver short frames and
    /// the NIC pads them, and captures on Linux show them unpadded.
    public func emit(payload: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(length + payload.count)
        out += destination.bytes
        out += source.bytes
        for t in tags { out.append16(t.tpid); out.append16(t.tci) }
        out.append16(etherType.rawValue)
        out += payload
        return out
    }
}
