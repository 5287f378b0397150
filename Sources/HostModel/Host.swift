// The host whose kernel the model runs: what `ip`, `sysctl`, `ss` and `nft` would show on it.
import Wire

public struct Host: Equatable, Sendable {
    /// Where it came from: `default`, or the snapshot directory's path.
    public var origin: String
    public var interfaces: [Interface]
    /// Every route of every table, both families, in the order `ip route show table all` lists them.
    public var routes: [Route]
    public var rules: [PolicyRule]
    public var neighbours: [Neighbour]
    public var sysctls: Sysctls
    public var sockets: [Socket]
    /// `nft -j list ruleset`, kept as text until the netfilter model reads it.
    public var nftablesJSON: String?
    /// That ruleset, read (empty when there is none).
    public var ruleset = Ruleset()

    public init(origin: String, interfaces: [Interface] = [], routes: [Route] = [], rules: [PolicyRule] = [],
                neighbours: [Neighbour] = [], sysctls: Sysctls = Sysctls(), sockets: [Socket] = [], nftablesJSON: String? = nil) {
        self.origin = origin; self.interfaces = interfaces; self.routes = routes; self.rules = rules
        self.neighbours = neighbours; self.sysctls = sysctls; self.sockets = sockets; self.nftablesJSON = nftablesJSON
    }

    public func interface(named name: String) -> Interface? { interfaces.first { $0.name == name } }
    public func interface(index: Int) -> Interface? { interfaces.first { $0.index == index } }
    public func interface(mac: MACAddress) -> Interface? { interfaces.first { $0.mac == mac && !$0.isLoopback } }
    /// The first interface that is not loopback (the default receiving interface).
    public var firstNonLoopback: Interface? { interfaces.first { !$0.isLoopback } }
}

public struct Interface: Equatable, Sendable {
    public var index: Int
    public var name: String
    public var mac: MACAddress?
    public var mtu: Int
    /// The `flags` list `ip` prints (UP, LOWER_UP, BROADCAST, NOARP, …).
    public var flags: [String]
    public var operState: String
    /// `link_type`: ether, loopback, none, …
    public var linkType: String
    /// `linkinfo.info_kind` (veth, bridge, dummy, …) for virtual devices.
    public var kind: String?
    /// The driver: the snapshot's drivers.txt, else `kind`; nil when unknown.
    public var driver: String?
    public var promiscuity: Int
    public var addresses: [InterfaceAddress]

    public init(index: Int, name: String, mac: MACAddress?, mtu: Int, flags: [String], operState: String = "UNKNOWN",
                linkType: String = "ether", kind: String? = nil, driver: String? = nil, promiscuity: Int = 0,
                addresses: [InterfaceAddress] = []) {
        self.index = index; self.name = name; self.mac = mac; self.mtu = mtu; self.flags = flags
        self.operState = operState; self.linkType = linkType; self.kind = kind; self.driver = driver
        self.promiscuity = promiscuity; self.addresses = addresses
    }

    /// Administratively up (IFF_UP).
    public var isUp: Bool { flags.contains("UP") }
    public var hasCarrier: Bool { flags.contains("LOWER_UP") }
    public var isLoopback: Bool { flags.contains("LOOPBACK") || linkType == "loopback" }
    public var isPromiscuous: Bool { promiscuity > 0 || flags.contains("PROMISC") }
    public var ipv4Addresses: [InterfaceAddress] { addresses.filter { $0.address.isV4 } }
    /// The first IPv4 address with global scope, else the first at all (inet_select_addr's choice
    /// when no other hint applies).
    public var primaryIPv4: IPv4Address? {
        let v4 = ipv4Addresses
        let chosen = v4.first { $0.scope == .universe } ?? v4.first
        if case .v4(let a)? = chosen?.address { return a }
        return nil
    }
}

public struct InterfaceAddress: Equatable, Sendable {
    public var address: IPAddress
    public var prefixLength: Int
    public var broadcast: IPv4Address?
    public var scope: RouteScope
    public var label: String?
    public init(address: IPAddress, prefixLength: Int, broadcast: IPv4Address? = nil, scope: RouteScope = .universe, label: String? = nil) {
        self.address = address; self.prefixLength = prefixLength; self.broadcast = broadcast; self.scope = scope; self.label = label
    }
    public var prefix: IPPrefix { IPPrefix(address: address, length: prefixLength).network }
}

public struct Neighbour: Equatable, Sendable {
    public var address: IPAddress
    public var device: String
    public var mac: MACAddress?
    /// NUD states as `ip` prints them (PERMANENT, REACHABLE, STALE, FAILED, …).
    public var states: [String]
    public init(address: IPAddress, device: String, mac: MACAddress?, states: [String]) {
        self.address = address; self.device = device; self.mac = mac; self.states = states
    }
    /// A usable entry: it has a link address and is not FAILED/INCOMPLETE.
    public var isValid: Bool { mac != nil && !states.contains("FAILED") && !states.contains("INCOMPLETE") }
}
