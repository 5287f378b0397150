// Routes and policy rules as the FIB holds them (include/uapi/linux/rtnetlink.h names).
import Wire

/// `rtm_type`.
public enum RouteType: String, Equatable, Sendable, CaseIterable {
    case unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit, `throw`, nat
}

/// `rtm_scope`, by the names `ip` prints.
public enum RouteScope: Equatable, Sendable, CustomStringConvertible {
    case universe, site, link, host, nowhere, other(Int)
    public init(_ text: String) {
        switch text {
        case "global", "universe": self = .universe
        case "site": self = .site
        case "link": self = .link
        case "host": self = .host
        case "nowhere": self = .nowhere
        default: self = Int(text).map(RouteScope.other) ?? .universe
        }
    }
    public var rawValue: Int {
        switch self {
        case .universe: 0
        case .site: 200
        case .link: 253
        case .host: 254
        case .nowhere: 255
        case .other(let v): v
        }
    }
    public var description: String {
        switch self {
        case .universe: "global"
        case .site: "site"
        case .link: "link"
        case .host: "host"
        case .nowhere: "nowhere"
        case .other(let v): String(v)
        }
    }
}

/// A routing table id; `ip` prints local/main/default by name and others by number.
public struct RouteTable: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var id: UInt32
    public init(_ id: UInt32) { self.id = id }
    public static let unspec = RouteTable(0), defaultTable = RouteTable(253), main = RouteTable(254), local = RouteTable(255)

    public init?(name: String) {
        switch name {
        case "local": self = .local
        case "main": self = .main
        case "default": self = .defaultTable
        case "unspec": self = .unspec
        default:
            guard let v = UInt32(name) else { return nil }
            id = v
        }
    }
    public var description: String {
        switch id {
        case 255: "local"
        case 254: "main"
        case 253: "default"
        case 0: "unspec"
        default: String(id)
        }
    }
    public static func < (l: RouteTable, r: RouteTable) -> Bool { l.id < r.id }
}

public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var length: Int
    public init(address: IPAddress, length: Int) { self.address = address; self.length = length }

    /// `default`, `10.0.0.0/8`, `10.0.0.1` (a host route) or the IPv6 forms; `family` decides
    /// what `default` means.
    public init?(_ text: String, v6: Bool) {
        if text == "default" {
            self.init(address: v6 ? .v6(IPv6Address(high: 0, low: 0)) : .v4(.any), length: 0)
            return
        }
        let slash = text.utf8.firstIndex(of: UInt8(ascii: "/"))
        guard let a = IPAddress(slash.map { text[..<$0] } ?? Substring(text)) else { return nil }
        let maxLen = a.isV4 ? 32 : 128
        let len = slash.map { Int(text[text.index(after: $0)...]) } ?? maxLen
        guard let len, len >= 0, len <= maxLen else { return nil }
        self.init(address: a, length: len)
    }

    public var isV4: Bool { address.isV4 }

    /// The prefix with host bits cleared.
    public var network: IPPrefix {
        switch address {
        case .v4(let a): return IPPrefix(address: .v4(IPv4Address(a.value & Self.mask4(length))), length: length)
        case .v6(let a):
            let (h, l) = Self.mask6(length)
            return IPPrefix(address: .v6(IPv6Address(high: a.high & h, low: a.low & l)), length: length)
        }
    }

    public func contains(_ other: IPAddress) -> Bool {
        switch (address, other) {
        case (.v4(let p), .v4(let a)): (a.value & Self.mask4(length)) == (p.value & Self.mask4(length))
        case (.v6(let p), .v6(let a)):
            { let (h, l) = Self.mask6(length); return (a.high & h) == (p.high & h) && (a.low & l) == (p.low & l) }()
        default: false
        }
    }

    public func contains(_ a: IPv4Address) -> Bool { contains(.v4(a)) }

    public static func mask4(_ len: Int) -> UInt32 { len == 0 ? 0 : ~UInt32(0) << (32 - len) }
    static func mask6(_ len: Int) -> (UInt64, UInt64) {
        if len == 0 { return (0, 0) }
        if len <= 64 { return (~UInt64(0) << (64 - len), 0) }
        return (~UInt64(0), len == 128 ? ~UInt64(0) : ~UInt64(0) << (128 - len))
    }

    public var description: String {
        length == 0 ? "default" : (length == (isV4 ? 32 : 128) ? address.description : "\(address)/\(length)")
    }
}

public struct Route: Equatable, Sendable {
    // The fields live in one shared box: a route is handed from the FIB to the lookup's result
    // and on to the skb's dst, and copying twelve fields (three of them reference counted) per
    // hand-over was a good part of a lookup. Setters copy a shared box first (copy on write).
    private final class Storage: @unchecked Sendable {
        var table: RouteTable
        var type: RouteType
        var destination: IPPrefix
        var gateway: IPAddress?
        var device: String?
        var metric: Int
        var scope: RouteScope
        var preferredSource: IPAddress?
        var protocolName: String
        var tos: Int
        var mtu: Int?
        var flags: [String]

        init(table: RouteTable, type: RouteType, destination: IPPrefix, gateway: IPAddress?, device: String?, metric: Int, scope: RouteScope, preferredSource: IPAddress?, protocolName: String, tos: Int, mtu: Int?, flags: [String]) {
            self.table = table; self.type = type; self.destination = destination; self.gateway = gateway; self.device = device; self.metric = metric; self.scope = scope; self.preferredSource = preferredSource; self.protocolName = protocolName; self.tos = tos; self.mtu = mtu; self.flags = flags
        }
        func copy() -> Storage { Storage(table: table, type: type, destination: destination, gateway: gateway, device: device, metric: metric, scope: scope, preferredSource: preferredSource, protocolName: protocolName, tos: tos, mtu: mtu, flags: flags) }
    }
    private var box: Storage

    public init(table: RouteTable = .main, type: RouteType = .unicast, destination: IPPrefix, gateway: IPAddress? = nil,
                device: String? = nil, metric: Int = 0, scope: RouteScope = .universe, preferredSource: IPAddress? = nil,
                protocolName: String = "boot", tos: Int = 0, mtu: Int? = nil, flags: [String] = []) {
        box = Storage(table: table, type: type, destination: destination, gateway: gateway, device: device, metric: metric, scope: scope, preferredSource: preferredSource, protocolName: protocolName, tos: tos, mtu: mtu, flags: flags)
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&box) { box = box.copy() }
        return box
    }

    public var table: RouteTable { get { box.table } set { unique().table = newValue } }
    public var type: RouteType { get { box.type } set { unique().type = newValue } }
    public var destination: IPPrefix { get { box.destination } set { unique().destination = newValue } }
    public var gateway: IPAddress? { get { box.gateway } set { unique().gateway = newValue } }
    public var device: String? { get { box.device } set { unique().device = newValue } }
    public var metric: Int { get { box.metric } set { unique().metric = newValue } }
    public var scope: RouteScope { get { box.scope } set { unique().scope = newValue } }
    public var preferredSource: IPAddress? { get { box.preferredSource } set { unique().preferredSource = newValue } }
    public var protocolName: String { get { box.protocolName } set { unique().protocolName = newValue } }
    public var tos: Int { get { box.tos } set { unique().tos = newValue } }
    /// `metrics` → mtu (a locked or plain route MTU), when set.
    public var mtu: Int? { get { box.mtu } set { unique().mtu = newValue } }
    public var flags: [String] { get { box.flags } set { unique().flags = newValue } }

    public static func == (a: Route, b: Route) -> Bool {
        a.box === b.box || (a.table == b.table && a.type == b.type && a.destination == b.destination && a.gateway == b.gateway && a.device == b.device && a.metric == b.metric && a.scope == b.scope && a.preferredSource == b.preferredSource && a.protocolName == b.protocolName && a.tos == b.tos && a.mtu == b.mtu && a.flags == b.flags)
    }

    public var isV4: Bool { destination.isV4 }
}

/// A policy routing rule (`ip rule`): selectors, then an action (a table lookup or a verdict).
public struct PolicyRule: Equatable, Sendable {
    public enum Action: Equatable, Sendable, CustomStringConvertible {
        case lookup(RouteTable)
        case goto(Int)
        case nop
        case blackhole, unreachable, prohibit
        public var description: String {
            switch self {
            case .lookup(let t): "lookup \(t)"
            case .goto(let p): "goto \(p)"
            case .nop: "nop"
            case .blackhole: "blackhole"
            case .unreachable: "unreachable"
            case .prohibit: "prohibit"
            }
        }
    }

    public var isV4: Bool
    public var priority: Int
    public var invert: Bool
    public var source: IPPrefix?
    public var destination: IPPrefix?
    public var inputInterface: String?
    public var outputInterface: String?
    public var fwmark: UInt32?
    public var fwmask: UInt32?
    public var tos: Int?
    public var ipProtocol: String?
    public var sourcePorts: ClosedRange<Int>?
    public var destinationPorts: ClosedRange<Int>?
    public var suppressPrefixLength: Int?
    public var action: Action

    public init(isV4: Bool = true, priority: Int, invert: Bool = false, source: IPPrefix? = nil, destination: IPPrefix? = nil,
                inputInterface: String? = nil, outputInterface: String? = nil, fwmark: UInt32? = nil, fwmask: UInt32? = nil,
                tos: Int? = nil, ipProtocol: String? = nil, sourcePorts: ClosedRange<Int>? = nil,
                destinationPorts: ClosedRange<Int>? = nil, suppressPrefixLength: Int? = nil, action: Action) {
        self.isV4 = isV4; self.priority = priority; self.invert = invert; self.source = source
        self.destination = destination; self.inputInterface = inputInterface; self.outputInterface = outputInterface
        self.fwmark = fwmark; self.fwmask = fwmask; self.tos = tos; self.ipProtocol = ipProtocol
        self.sourcePorts = sourcePorts; self.destinationPorts = destinationPorts
        self.suppressPrefixLength = suppressPrefixLength; self.action = action
    }

    /// The three rules every network namespace starts with (fib_default_rules_init).
    public static let defaultV4: [PolicyRule] = [
        PolicyRule(priority: 0, action: .lookup(.local)),
        PolicyRule(priority: 32766, action: .lookup(.main)),
        PolicyRule(priority: 32767, action: .lookup(.defaultTable)),
    ]
}
