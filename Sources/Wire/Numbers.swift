// Protocol numbers as enums with an `unknown` case: an unfamiliar number is data, not an error.

public enum EtherType: Hashable, Sendable, CustomStringConvertible {
    case ipv4, arp, ipv6, vlan, qinq, unknown(UInt16)

    public init(_ raw: UInt16) {
        switch raw {
        case 0x0800: self = .ipv4
        case 0x0806: self = .arp
        case 0x86dd: self = .ipv6
        case 0x8100: self = .vlan
        case 0x88a8: self = .qinq
        default: self = .unknown(raw)
        }
    }

    public var rawValue: UInt16 {
        switch self {
        case .ipv4: 0x0800
        case .arp: 0x0806
        case .ipv6: 0x86dd
        case .vlan: 0x8100
        case .qinq: 0x88a8
        case .unknown(let v): v
        }
    }

    public var description: String {
        switch self {
        case .ipv4: "IPv4"
        case .arp: "ARP"
        case .ipv6: "IPv6"
        case .vlan: "802.1Q"
        case .qinq: "802.1ad"
        case .unknown(let v): "ethertype 0x" + String(v, radix: 16, uppercase: false).leftPadded(to: 4)
        }
    }
}

public enum IPProtocol: Hashable, Sendable, CustomStringConvertible {
    case icmp, igmp, tcp, udp, ipv6Route, ipv6Fragment, gre, esp, ah, icmpv6, ipv6NoNext, ipv6Options, hopByHop, sctp, udplite
    case unknown(UInt8)

    public init(_ raw: UInt8) {
        switch raw {
        case 0: self = .hopByHop
        case 1: self = .icmp
        case 2: self = .igmp
        case 6: self = .tcp
        case 17: self = .udp
        case 43: self = .ipv6Route
        case 44: self = .ipv6Fragment
        case 47: self = .gre
        case 50: self = .esp
        case 51: self = .ah
        case 58: self = .icmpv6
        case 59: self = .ipv6NoNext
        case 60: self = .ipv6Options
        case 132: self = .sctp
        case 136: self = .udplite
        default: self = .unknown(raw)
        }
    }

    public var rawValue: UInt8 {
        switch self {
        case .hopByHop: 0
        case .icmp: 1
        case .igmp: 2
        case .tcp: 6
        case .udp: 17
        case .ipv6Route: 43
        case .ipv6Fragment: 44
        case .gre: 47
        case .esp: 50
        case .ah: 51
        case .icmpv6: 58
        case .ipv6NoNext: 59
        case .ipv6Options: 60
        case .sctp: 132
        case .udplite: 136
        case .unknown(let v): v
        }
    }

    public var description: String {
        switch self {
        case .hopByHop: "HBH"
        case .icmp: "ICMP"
        case .igmp: "IGMP"
        case .tcp: "TCP"
        case .udp: "UDP"
        case .ipv6Route: "IPv6-Route"
        case .ipv6Fragment: "IPv6-Frag"
        case .gre: "GRE"
        case .esp: "ESP"
        case .ah: "AH"
        case .icmpv6: "ICMPv6"
        case .ipv6NoNext: "IPv6-NoNxt"
        case .ipv6Options: "IPv6-Opts"
        case .sctp: "SCTP"
        case .udplite: "UDPLite"
        case .unknown(let v): "ip-proto-\(v)"
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
