// What the model needs to know about the application that sends a packet (tracer replay --tx):
// which system call it makes, its socket's IP_MTU_DISCOVER setting, and the socket the kernel
// would use for the packet's protocol. State that outlives one frame (neighbour entries, PMTU
// route exceptions, the fragments of a datagram being gathered) lives in `Kernel`.
import HostModel
import Wire

/// The socket call an application sends with (--syscall).
public enum Syscall: String, Sendable, CaseIterable {
    case sendto, sendmsg, sendmmsg
}

/// IP_MTU_DISCOVER (--pmtudisc): `want` is the kernel's default for UDP and raw sockets
/// (net.ipv4.ip_no_pmtu_disc=0).
public enum PMTUDisc: String, Sendable, CaseIterable {
    case dont, want, `do`, probe

    public var constantName: String {
        switch self {
        case .dont: "IP_PMTUDISC_DONT"
        case .want: "IP_PMTUDISC_WANT"
        case .do: "IP_PMTUDISC_DO"
        case .probe: "IP_PMTUDISC_PROBE"
        }
    }

    /// ip_sk_ignore_df: below DO (and OMIT) the kernel may fragment the socket's datagrams.
    var ignoresDF: Bool { self == .dont || self == .want }
    /// ip_sk_use_pmtu: below PROBE the path MTU (route exceptions) counts, else the device MTU.
    var usesPMTU: Bool { self != .probe }
}

public struct SendOptions: Sendable {
    public var syscall: Syscall?
    public var pmtudisc: PMTUDisc
    /// The sockets are bound to the packets' source addresses (bind(2), `ping -I ADDR`): the
    /// route lookup carries the source, so source-based policy rules apply. Without it a socket
    /// is taken as unbound unless the route would pick another source address.
    public var bind: Bool
    public init(syscall: Syscall? = nil, pmtudisc: PMTUDisc = .want, bind: Bool = false) {
        self.syscall = syscall; self.pmtudisc = pmtudisc; self.bind = bind
    }
}

/// A PMTU learned from ICMP fragmentation-needed (a fib_nh_exception's fnhe_pmtu).
struct PMTUException {
    var mtu: Int
    var expires: Double
    var locked: Bool
}

/// A UDP socket by its local address and port.
struct SocketKey: Hashable {
    var local: IPv4Address
    var port: UInt16
}

/// The fragments of one datagram the capture shows the host sending: the application sent the
/// datagram whole, so it is explained when its last fragment has been seen. At most
/// `limit` datagrams are held at a time (the oldest is given up).
struct TxFragments {
    struct Key: Hashable { var source: IPv4Address; var destination: IPv4Address; var id: UInt16; var proto: UInt8 }
    struct Pending { var header: [UInt8]; var pieces: [Int: [UInt8]] = [:]; var total: Int?; var order: Int }
    var pending: [Key: Pending] = [:]
    var counter = 0
    static let limit = 64

    /// Adds one fragment; returns the whole IP packet (first header, payload joined) when complete.
    mutating func add(_ key: Key, header: [UInt8], offset: Int, more: Bool, payload: [UInt8]) -> [UInt8]? {
        if pending[key] == nil {
            if pending.count >= Self.limit, let oldest = pending.min(by: { $0.value.order < $1.value.order }) {
                pending[oldest.key] = nil
            }
            counter += 1
            pending[key] = Pending(header: header, order: counter)
        }
        guard var p = pending[key] else { return nil }
        if offset == 0 { p.header = header }
        p.pieces[offset] = payload
        if !more { p.total = offset + payload.count }
        pending[key] = p
        guard let total = p.total else { return nil }
        var joined: [UInt8] = []
        var at = 0
        while at < total {
            guard let piece = p.pieces[at], !piece.isEmpty else { return nil }
            joined += piece
            at += piece.count
        }
        pending[key] = nil
        var h = p.header
        let len = h.count + joined.count
        h[2] = UInt8(len >> 8 & 0xff); h[3] = UInt8(len & 0xff)
        h[6] &= 0x40; h[7] = 0
        return h + joined
    }
}
