// ARP (RFC 826) for Ethernet and IPv4, the only kind the model handles (`arp_rcv` drops others
// as the kernel does for hardware types it does not know).
//
//  0        2        4     5     6        8
//  | htype  | ptype  | hlen| plen| oper   | sha (6) | spa (4) | tha (6) | tpa (4) |

public struct ARPPacket {
    public static let ethernetIPv4Length = 28
    public let bytes: UnsafeRawBufferPointer

    /// Checks the 8-byte fixed part; addresses are readable only when `isEthernetIPv4`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<ARPPacket, WireError> {
        guard bytes.count >= 8 else { return .failure(.truncated(.arp, need: 8, have: bytes.count)) }
        let p = ARPPacket(bytes: bytes)
        guard p.hardwareType == 1, p.protocolType == 0x0800, p.hardwareLength == 6, p.protocolLength == 4 else {
            return .failure(.unsupportedFormat(.arp, "hrd \(p.hardwareType) pro 0x\(String(p.protocolType, radix: 16)) hln \(p.hardwareLength) pln \(p.protocolLength)"))
        }
        guard bytes.count >= ethernetIPv4Length else { return .failure(.truncated(.arp, need: ethernetIPv4Length, have: bytes.count)) }
        return .success(p)
    }

    public var hardwareType: UInt16 { bytes.u16(0) }
    public var protocolType: UInt16 { bytes.u16(2) }
    public var hardwareLength: UInt8 { bytes.u8(4) }
    public var protocolLength: UInt8 { bytes.u8(5) }
    public var operation: ARPOperation { ARPOperation(bytes.u16(6)) }
    public var senderHardwareAddress: MACAddress { MACAddress(bytes, at: 8) }
    public var senderProtocolAddress: IPv4Address { IPv4Address(bytes.u32(14)) }
    public var targetHardwareAddress: MACAddress { MACAddress(bytes, at: 18) }
    public var targetProtocolAddress: IPv4Address { IPv4Address(bytes.u32(24)) }
}

public enum ARPOperation: Hashable, Sendable, CustomStringConvertible {
    case request, reply, unknown(UInt16)
    public init(_ raw: UInt16) { self = raw == 1 ? .request : raw == 2 ? .reply : .unknown(raw) }
    public var rawValue: UInt16 {
        switch self { case .request: 1; case .reply: 2; case .unknown(let v): v }
    }
    public var description: String {
        switch self { case .request: "Request"; case .reply: "Reply"; case .unknown(let v): "op \(v)" }
    }
}

public struct ARPHeader: Hashable, Sendable {
    public var operation: ARPOperation
    public var senderHardwareAddress: MACAddress
    public var senderProtocolAddress: IPv4Address
    public var targetHardwareAddress: MACAddress
    public var targetProtocolAddress: IPv4Address

    public init(operation: ARPOperation, senderHardwareAddress: MACAddress, senderProtocolAddress: IPv4Address,
                targetHardwareAddress: MACAddress, targetProtocolAddress: IPv4Address) {
        self.operation = operation
        self.senderHardwareAddress = senderHardwareAddress; self.senderProtocolAddress = senderProtocolAddress
        self.targetHardwareAddress = targetHardwareAddress; self.targetProtocolAddress = targetProtocolAddress
    }

    public func emit() -> [UInt8] {
        var a = [UInt8]()
        a.reserveCapacity(28)
        a.append16(1); a.append16(0x0800); a.append(6); a.append(4); a.append16(operation.rawValue)
        a += senderHardwareAddress.bytes; a += senderProtocolAddress.bytes
        a += targetHardwareAddress.bytes; a += targetProtocolAddress.bytes
        return a
    }
}
