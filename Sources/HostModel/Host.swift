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
    /// The multicast groups each device has joined (`ip -j maddr show`: the device's list,
    /// whoever joined — a socket's IP_ADD_MEMBERSHIP, 224.0.0.1 at device up). Which socket
    /// joined a group no command shows (ss does not); the kernel does not need it either: a
    /// socket with IP_MULTICAST_ALL (the default) receives every group its device joined.
    public var multicast: [MulticastMembership] = []
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
    /// True when `device` has joined `group` (ip_check_mc_rcu's question).
    public func hasJoined(_ group: IPAddress, on device: String) -> Bool {
        multicast.contains { $0.device == device && $0.group == group }
    }
    public func interface(index: Int) -> Interface? { interfaces.first { $0.index == index } }
    public func interface(mac: MACAddress) -> Interface? { interfaces.first { $0.mac == mac && !$0.isLoopback } }
    /// The first interface that is not loopback (the default receiving interface).
    public var firstNonLoopback: Interface? { interfaces.first { !$0.isLoopback } }
}

public struct Interface: Equatable, Sendable {
    // The fields live in one shared box: the model hands an interface along with every skb, and
    // copying a struct of seven strings and arrays cost a retain and a release each, per copy.
    // Setters copy the box first when it is shared (copy on write), so this is still a value.
    private final class Storage: @unchecked Sendable {
        var index: Int, name: String, mac: MACAddress?, mtu: Int, flags: [String], operState: String
        var linkType: String, kind: String?, driver: String?, promiscuity: Int, addresses: [InterfaceAddress]
        var rpsCPUs: String? = nil
        /// What the receive path asks of the flags on every frame, worked out when they are set.
        var isUp = false, hasCarrier = false, isLoopback = false, isPromiscuous = false, isNoARP = false
        var primaryIPv4: IPv4Address?
        var ipv4Addresses: [InterfaceAddress] = []

        init(index: Int, name: String, mac: MACAddress?, mtu: Int, flags: [String], operState: String, linkType: String,
             kind: String?, driver: String?, promiscuity: Int, addresses: [InterfaceAddress]) {
            self.index = index; self.name = name; self.mac = mac; self.mtu = mtu; self.flags = flags
            self.operState = operState; self.linkType = linkType; self.kind = kind; self.driver = driver
            self.promiscuity = promiscuity; self.addresses = addresses
            derive()
        }

        func copy() -> Storage {
            let c = Storage(index: index, name: name, mac: mac, mtu: mtu, flags: flags, operState: operState, linkType: linkType,
                            kind: kind, driver: driver, promiscuity: promiscuity, addresses: addresses)
            c.rpsCPUs = rpsCPUs
            return c
        }

        func derive() {
            isUp = flags.contains("UP")
            hasCarrier = flags.contains("LOWER_UP")
            isLoopback = flags.contains("LOOPBACK") || linkType == "loopback"
            isPromiscuous = promiscuity > 0 || flags.contains("PROMISC")
            isNoARP = flags.contains("NOARP")
            // The first IPv4 address with global scope, else the first at all.
            ipv4Addresses = addresses.filter { $0.address.isV4 }
            if case .v4(let a)? = (ipv4Addresses.first { $0.scope == .universe } ?? ipv4Addresses.first)?.address { primaryIPv4 = a } else { primaryIPv4 = nil }
        }
    }
    private var box: Storage

    public init(index: Int, name: String, mac: MACAddress?, mtu: Int, flags: [String], operState: String = "UNKNOWN",
                linkType: String = "ether", kind: String? = nil, driver: String? = nil, promiscuity: Int = 0,
                addresses: [InterfaceAddress] = []) {
        box = Storage(index: index, name: name, mac: mac, mtu: mtu, flags: flags, operState: operState, linkType: linkType,
                      kind: kind, driver: driver, promiscuity: promiscuity, addresses: addresses)
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&box) { box = box.copy() }
        return box
    }

    public var index: Int { get { box.index } set { unique().index = newValue } }
    public var name: String { get { box.name } set { unique().name = newValue } }
    public var mac: MACAddress? { get { box.mac } set { unique().mac = newValue } }
    public var mtu: Int { get { box.mtu } set { unique().mtu = newValue } }
    /// The `flags` list `ip` prints (UP, LOWER_UP, BROADCAST, NOARP, …).
    public var flags: [String] { get { box.flags } set { let b = unique(); b.flags = newValue; b.derive() } }
    public var operState: String { get { box.operState } set { unique().operState = newValue } }
    /// `link_type`: ether, loopback, none, …
    public var linkType: String { get { box.linkType } set { let b = unique(); b.linkType = newValue; b.derive() } }
    /// `linkinfo.info_kind` (veth, bridge, dummy, …) for virtual devices.
    public var kind: String? { get { box.kind } set { unique().kind = newValue } }
    /// The driver: the snapshot's drivers.txt, else `kind`; nil when unknown.
    public var driver: String? { get { box.driver } set { unique().driver = newValue } }
    /// Receive packet steering: the CPU mask of its receive queue(s) as sysfs prints it
    /// (`queues/rx-N/rps_cpus`, the snapshot's rps.txt), nil when no queue has a CPU in it.
    public var rpsCPUs: String? { get { box.rpsCPUs } set { unique().rpsCPUs = newValue } }
    public var promiscuity: Int { get { box.promiscuity } set { let b = unique(); b.promiscuity = newValue; b.derive() } }
    public var addresses: [InterfaceAddress] { get { box.addresses } set { let b = unique(); b.addresses = newValue; b.derive() } }

    public static func == (a: Interface, b: Interface) -> Bool {
        a.box === b.box || (a.index == b.index && a.name == b.name && a.mac == b.mac && a.mtu == b.mtu && a.flags == b.flags
            && a.operState == b.operState && a.linkType == b.linkType && a.kind == b.kind && a.driver == b.driver
            && a.promiscuity == b.promiscuity && a.addresses == b.addresses && a.rpsCPUs == b.rpsCPUs)
    }

    /// Administratively up (IFF_UP).
    public var isUp: Bool { box.isUp }
    public var hasCarrier: Bool { box.hasCarrier }
    public var isLoopback: Bool { box.isLoopback }
    public var isPromiscuous: Bool { box.isPromiscuous }
    /// IFF_NOARP: no link address is resolved for it (point-to-point, tun).
    public var isNoARP: Bool { box.isNoARP }
    /// The IPv4 ones of `addresses` (kept with them: asked for every packet sent).
    public var ipv4Addresses: [InterfaceAddress] { box.ipv4Addresses }
    /// The first IPv4 address with global scope, else the first at all (inet_select_addr's choice
    /// when no other hint applies).
    public var primaryIPv4: IPv4Address? { box.primaryIPv4 }
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

/// One group on one device's multicast list (`ip maddr`'s `inet 239.1.1.1` under `eth0`).
public struct MulticastMembership: Equatable, Sendable {
    public var device: String
    public var group: IPAddress
    public init(device: String, group: IPAddress) { self.device = device; self.group = group }
}
