// The link layers a capture can start with, and where each puts the network header.
//
// EN10MB      | Ethernet (+ 802.1Q/802.1ad tags) | EtherType | network …
// LINUX_SLL   | pkttype(2) hatype(2) halen(2) addr(8) protocol(2)            | network …
// LINUX_SLL2  | protocol(2) resv(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) | network …
// RAW/IPV4/IPV6 | network …   (version nibble says which)
// NULL        | address family, 4 bytes, the capturing host's byte order | network …
// LOOP        | address family, 4 bytes, network byte order | network …

/// The link types tracer reads. Raw values are libpcap's DLT_ numbers on Linux.
public enum LinkType: Int32, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case null = 0
    case ethernet = 1
    case raw = 12
    case loop = 108
    case linuxSLL = 113
    case ipv4 = 228
    case ipv6 = 229
    case linuxSLL2 = 276

    /// libpcap's name (pcap_datalink_val_to_name).
    public var description: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .raw: "RAW"
        case .loop: "LOOP"
        case .linuxSLL: "LINUX_SLL"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL2: "LINUX_SLL2"
        }
    }
}

/// The Linux packet type (`skb->pkt_type`, `PACKET_*`) that SLL and SLL2 record.
public enum PacketType: Hashable, Sendable, CustomStringConvertible {
    case host, broadcast, multicast, otherHost, outgoing, unknown(UInt16)

    public init(_ raw: UInt16) {
        switch raw {
        case 0: self = .host
        case 1: self = .broadcast
        case 2: self = .multicast
        case 3: self = .otherHost
        case 4: self = .outgoing
        default: self = .unknown(raw)
        }
    }
    public var rawValue: UInt16 {
        switch self {
        case .host: 0
        case .broadcast: 1
        case .multicast: 2
        case .otherHost: 3
        case .outgoing: 4
        case .unknown(let v): v
        }
    }
    /// The kernel's constant name.
    public var description: String {
        switch self {
        case .host: "PACKET_HOST"
        case .broadcast: "PACKET_BROADCAST"
        case .multicast: "PACKET_MULTICAST"
        case .otherHost: "PACKET_OTHERHOST"
        case .outgoing: "PACKET_OUTGOING"
        case .unknown(let v): "PACKET_\(v)"
        }
    }
}

/// A frame with its link header read: what follows it, and what the link header recorded.
public struct LinkFrame {
    public let linkType: LinkType
    public let bytes: UnsafeRawBufferPointer
    /// Where the network header starts.
    public let networkOffset: Int
    /// What the link layer says follows (for RAW/NULL/LOOP, derived from version or family).
    public let networkProtocol: EtherType
    /// Ethernet frames only.
    public let ethernet: EthernetFrame?
    /// SLL/SLL2: the packet type the kernel gave the frame (direction).
    public let packetType: PacketType?
    /// SLL2: the interface index the frame was seen on.
    public let interfaceIndex: UInt32?
    /// SLL/SLL2: the link-layer source address when it is a 6-byte MAC.
    public let linkSource: MACAddress?

    public var network: UnsafeRawBufferPointer { bytes.tail(from: networkOffset) }

    public static func decode(_ bytes: UnsafeRawBufferPointer, as linkType: LinkType) -> Result<LinkFrame, WireError> {
        switch linkType {
        case .ethernet:
            switch EthernetFrame.parse(bytes) {
            case .failure(let e): return .failure(e)
            case .success(let eth):
                return .success(LinkFrame(linkType: linkType, bytes: bytes, networkOffset: eth.headerLength,
                                          networkProtocol: eth.etherType, ethernet: eth, packetType: nil,
                                          interfaceIndex: nil, linkSource: nil))
            }
        case .linuxSLL:
            guard bytes.count >= 16 else { return .failure(.truncated(.sll, need: 16, have: bytes.count)) }
            let halen = Int(bytes.u16(4))
            return .success(LinkFrame(linkType: linkType, bytes: bytes, networkOffset: 16,
                                      networkProtocol: EtherType(bytes.u16(14)), ethernet: nil,
                                      packetType: PacketType(bytes.u16(0)), interfaceIndex: nil,
                                      linkSource: halen == 6 ? MACAddress(bytes, at: 6) : nil))
        case .linuxSLL2:
            guard bytes.count >= 20 else { return .failure(.truncated(.sll2, need: 20, have: bytes.count)) }
            let halen = Int(bytes.u8(11))
            return .success(LinkFrame(linkType: linkType, bytes: bytes, networkOffset: 20,
                                      networkProtocol: EtherType(bytes.u16(0)), ethernet: nil,
                                      packetType: PacketType(UInt16(bytes.u8(10))), interfaceIndex: bytes.u32(4),
                                      linkSource: halen == 6 ? MACAddress(bytes, at: 12) : nil))
        case .raw, .ipv4, .ipv6:
            let version = bytes.isEmpty ? 0 : bytes.u8(0) >> 4
            let proto: EtherType = linkType == .ipv4 ? .ipv4 : linkType == .ipv6 ? .ipv6
                : version == 4 ? .ipv4 : version == 6 ? .ipv6 : .unknown(0)
            return .success(LinkFrame(linkType: linkType, bytes: bytes, networkOffset: 0, networkProtocol: proto,
                                      ethernet: nil, packetType: nil, interfaceIndex: nil, linkSource: nil))
        case .null, .loop:
            guard bytes.count >= 4 else { return .failure(.truncated(.loopback, need: 4, have: bytes.count)) }
            let networkOrder = bytes.u32(0)
            // NULL is in the capturing host's byte order, which the file does not record: a
            // family number is small, so whichever order gives a small number is the right one.
            let family = linkType == .loop || networkOrder < 0x100 ? networkOrder : networkOrder.byteSwapped
            return .success(LinkFrame(linkType: linkType, bytes: bytes, networkOffset: 4,
                                      networkProtocol: Self.etherType(addressFamily: family), ethernet: nil,
                                      packetType: nil, interfaceIndex: nil, linkSource: nil))
        }
    }

    /// AF_INET is 2 everywhere; AF_INET6 is 10 on Linux, 24/28/30 on the BSDs and macOS.
    static func etherType(addressFamily family: UInt32) -> EtherType {
        switch family {
        case 2: .ipv4
        case 10, 24, 28, 30: .ipv6
        default: .unknown(UInt16(truncatingIfNeeded: family))
        }
    }
}

/// Builders for the link headers other than Ethernet (fixtures use them to make SLL/SLL2/NULL
/// captures with the same network payloads).
public enum LinkHeader {
    public static func sll(packetType: PacketType, source: MACAddress, protocol proto: EtherType, hardwareType: UInt16 = 1) -> [UInt8] {
        var h = [UInt8]()
        h.append16(packetType.rawValue); h.append16(hardwareType); h.append16(6)
        h += source.bytes; h += [0, 0]
        h.append16(proto.rawValue)
        return h
    }

    public static func sll2(packetType: PacketType, interfaceIndex: UInt32, source: MACAddress, protocol proto: EtherType, hardwareType: UInt16 = 1) -> [UInt8] {
        var h = [UInt8]()
        h.append16(proto.rawValue); h.append16(0); h.append32(interfaceIndex)
        h.append16(hardwareType); h.append(UInt8(packetType.rawValue)); h.append(6)
        h += source.bytes; h += [0, 0]
        return h
    }

    /// DLT_NULL's family in little-endian order (as a Linux/x86 or macOS capture writes it).
    public static func null(family: UInt32) -> [UInt8] {
        [UInt8(family & 0xff), UInt8((family >> 8) & 0xff), UInt8((family >> 16) & 0xff), UInt8(family >> 24)]
    }

    public static func loop(family: UInt32) -> [UInt8] {
        var h = [UInt8](); h.append32(family); return h
    }
}
