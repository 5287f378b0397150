// Sockets as `ss -H -tuanm` lists them (skmem on a continuation line after each socket).
import Wire

public struct Socket: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable { case tcp, udp, raw, icmp }

    public var protocolKind: Kind
    /// LISTEN, UNCONN, ESTAB, TIME-WAIT, …
    public var state: String
    /// nil: the wildcard (`*`, `0.0.0.0` and `[::]` all bind every address of their family).
    public var localAddress: IPAddress?
    public var localPort: UInt16
    public var remoteAddress: IPAddress?
    public var remotePort: UInt16?
    /// `%dev` after the local address (SO_BINDTODEVICE).
    public var boundDevice: String?
    /// True for `[::]`/`*` sockets that also take IPv4 (dual-stack, `*` in ss).
    public var isV6: Bool
    /// When the socket came and went, on the capture's clock (nil: before it began, after it
    /// ended): a host inferred from a capture can see a listener appear or go.
    public var openedAt: Double? = nil
    public var closedAt: Double? = nil
    /// Recv-Q: bytes queued and not read when ss ran (an application that was not reading).
    public var recvQ = 0
    /// `ss -m`'s skmem rb: sk_rcvbuf (nil: ss ran without -m).
    public var rcvbuf: Int?

    /// Reads an `ss -m` continuation line, `\t skmem:(r0,rb212992,t0,…)`, into this socket.
    public mutating func readSkmem(_ line: Substring) {
        guard let open = line.range(of: "skmem:(") else { return }
        let fields = line[open.upperBound...].prefix { $0 != ")" }.split(separator: ",")
        for f in fields where f.hasPrefix("rb") { rcvbuf = Int(f.dropFirst(2)) }
    }

    /// The socket exists at `time`.
    public func isOpen(at time: Double) -> Bool {
        (openedAt.map { time >= $0 } ?? true) && (closedAt.map { time < $0 } ?? true)
    }

    public init(protocolKind: Kind, state: String, localAddress: IPAddress?, localPort: UInt16,
                remoteAddress: IPAddress? = nil, remotePort: UInt16? = nil, boundDevice: String? = nil, isV6: Bool = false) {
        self.protocolKind = protocolKind; self.state = state; self.localAddress = localAddress; self.localPort = localPort
        self.remoteAddress = remoteAddress; self.remotePort = remotePort; self.boundDevice = boundDevice; self.isV6 = isV6
    }

    /// One `ss -H -tuanm` socket line: `udp UNCONN 0 0 0.0.0.0%eth0:68 0.0.0.0:*`. Nil for a line that
    /// is not a socket of a kind the model knows.
    public init?(ssLine line: Substring) {
        let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard f.count >= 6, let p = Kind(rawValue: String(f[0])) else { return nil }
        guard let local = Self.endpoint(f[4]), let remote = Self.endpoint(f[5]) else { return nil }
        guard let lport = local.port else { return nil }
        self.init(protocolKind: p, state: String(f[1]), localAddress: local.address, localPort: lport,
                  remoteAddress: remote.address, remotePort: remote.port, boundDevice: local.device, isV6: local.v6)
        recvQ = Int(f[2]) ?? 0
    }

    /// `addr[%dev]:port` with `[v6]`, `*` and `0.0.0.0` forms; port `*` is nil.
    static func endpoint(_ text: Substring) -> (address: IPAddress?, port: UInt16?, device: String?, v6: Bool)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = text[..<colon]
        let portText = text[text.index(after: colon)...]
        let port: UInt16? = portText == "*" ? nil : UInt16(portText)
        if portText != "*" && port == nil { return nil }
        var device: String? = nil
        var v6 = false
        if host.hasPrefix("[") {
            v6 = true
            guard let close = host.lastIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            if after.hasPrefix("%") { device = String(after.dropFirst()) }
            host = host[host.index(after: host.startIndex)..<close]
        }
        if let pct = host.firstIndex(of: "%") {
            device = String(host[host.index(after: pct)...])
            host = host[..<pct]
        }
        if host == "*" { return (nil, port, device, true) }
        guard let a = IPAddress(host) else { return nil }
        switch a {
        case .v4(let v) where v.isUnspecified: return (nil, port, device, false)
        case .v6(let v) where v.isUnspecified: return (nil, port, device, true)
        default: return (a, port, device, v6 || !a.isV4)
        }
    }
}
