// Why-not: for a dropped frame, the nearest change to the host that would have let it past the
// point where it was dropped — found from what the model knows at the drop, then checked by
// running the frame through a model of the host with that change made (a fresh one: state the
// capture built before the frame, a TCP connection, is not carried over). Only checked
// suggestions are shown, and at most 256 distinct changes are checked in a run.
//   NETFILTER_DROP by a rule     delete that rule (its chain's policy said)
//   NETFILTER_DROP by a policy   the chain's policy accept
//   a route of type unreachable, blackhole or prohibit   delete that route
//   no route (IP_INNOROUTES)     a route to the destination out of an interface
//   IP_RPFILTER                  loose mode on the interface (or off, if it was loose)
//   NO_SOCKET                    a socket on the port
//   SOCKET_RCVBUFF               the SO_RCVBUF that would have held every datagram so far (checked
//                                by the socket's unlimited twin, the same reader with no limit)
import Capture
import HostModel
import Kernel
import Wire

final class WhyNot {
    let host: HostModel.Host
    let profile: Profile
    /// Each change tried, and what the frame then met (nil: still dropped there).
    private var checked: [String: String?] = [:]
    /// The last changes suggested and their lines: drops of one kind repeat (a port scan, a
    /// flood to a closed port), and each line costs the change's description and a lookup by it.
    /// A change's line never changes once made (`checked` only grows), so the answer is exact.
    private let recent = Recent<HostEdit, String?>()

    init(host: HostModel.Host, profile: Profile) { self.host = host; self.profile = profile }

    /// The distinct changes checked in one run, at most.
    static let checkLimit = 256

    /// The checked suggestion for a frame the model dropped on receive, or nil.
    func suggest(_ report: FrameReport, frame: [UInt8], linkType: LinkType, iface: Interface, time: Double, kernel: Kernel) -> String? {
        guard report.verdict.action == .drop, let edit = change(for: report, frame: frame, linkType: linkType, iface: iface, kernel: kernel) else { return nil }
        return recent.value(for: edit) { suggestion($0, report: report, frame: frame, linkType: linkType, iface: iface, time: time) }
    }

    private func suggestion(_ edit: HostEdit, report: FrameReport, frame: [UInt8], linkType: LinkType, iface: Interface, time: Double) -> String? {
        if case .rcvbuf = edit {
            // Checked by the socket's unlimited twin (see the header).
            return "\(edit) would have held every datagram to it so far"
        }
        let key = edit.description
        if checked[key] == nil {
            // Each new change costs a model of the changed host: a port scan would make one per
            // port. Past this many, new changes are not checked (and so not shown).
            guard checked.count < Self.checkLimit else { return nil }
            checked[key] = check(edit, report: report, frame: frame, linkType: linkType, iface: iface, time: time)
        }
        guard let then = checked[key] ?? nil else { return nil }
        return "\(edit) — checked: the frame then meets \(then)"
    }

    /// Runs the frame through the host with `edit` made; the verdict it then gets, or nil when
    /// it is still dropped where it was.
    private func check(_ edit: HostEdit, report: FrameReport, frame: [UInt8], linkType: LinkType, iface: Interface, time: Double) -> String? {
        guard let changed = try? host.applying([edit]) else { return nil }
        let k = Kernel(host: changed, profile: profile)
        k.recordsStacks = false
        k.serviceTime = 0
        let r = k.receive(frame: frame, linkType: linkType, iface: changed.interface(named: iface.name) ?? iface, time: time)
        if r.verdict.action == .drop && r.verdict.reason == report.verdict.reason && r.verdict.function == report.verdict.function { return nil }
        return r.verdict.action.rawValue + (r.verdict.reason.map { " \($0)" } ?? "") + (r.verdict.function.isEmpty ? "" : " in \(r.verdict.function)")
    }

    /// The change that would answer this drop, from what the report says of it.
    func change(for r: FrameReport, frame: [UInt8], linkType: LinkType, iface: Interface, kernel: Kernel) -> HostEdit? {
        let t = Self.transport(frame, linkType: linkType)
        // A route that refuses (unreachable, blackhole, prohibit: ip_error's drops, whatever
        // the reason the kernel gives): that route deleted.
        if let route = r.route, [.unreachable, .blackhole, .prohibit].contains(route.type), let prefix = route.prefix, prefix.length > 0 || route.table != nil,
           !["NETFILTER_DROP", "NO_SOCKET", "IP_RPFILTER", "SOCKET_RCVBUFF"].contains(r.verdict.reason ?? "") {
            return .deleteRoute(Route(table: route.table ?? .main, type: route.type, destination: prefix))
        }
        switch r.verdict.reason {
        case "NETFILTER_DROP":
            guard let hook = r.netfilter.last(where: { $0.verdict == "drop" && $0.packet == nil }), let pass = hook.chains.last else { return nil }
            if let rule = pass.rule { return .deleteRule(table: pass.table, chain: pass.chain, handle: pass.handle, text: rule) }
            return pass.verdict == "policy drop" ? .policyAccept(table: pass.table, chain: pass.chain) : nil
        case "NO_SOCKET":
            guard let t, t.proto == 6 || t.proto == 17 else { return nil }
            let kind: Socket.Kind = t.proto == 6 ? .tcp : .udp
            return .addSocket(Socket(protocolKind: kind, state: kind == .tcp ? "LISTEN" : "UNCONN", localAddress: nil,
                                     localPort: t.dport, isV6: !t.destination.isV4))
        case "IP_RPFILTER":
            let now = max(host.sysctls.int("net.ipv4.conf.all.rp_filter") ?? 0, host.sysctls.int("net.ipv4.conf.\(iface.name).rp_filter") ?? 0)
            if now == 2 { return .sysctl(key: "net.ipv4.conf.all.rp_filter", value: "0") }
            return .sysctl(key: "net.ipv4.conf.\(iface.name).rp_filter", value: "2")
        case "SOCKET_RCVBUFF":
            guard let name = r.socket, let t, let need = kernel.rcvbufNeeded(socket: name) else { return nil }
            return .rcvbuf(port: t.dport, bytes: need)
        case "IP_INNOROUTES", "IPV6_INNOROUTES":
            guard let t else { return nil }
            // No route at all: one for the destination, out of an interface that is up (the
            // first but the one it came in by, where there is one).
            let out = host.interfaces.first { !$0.isLoopback && $0.isUp && $0.name != iface.name } ?? iface
            return .addRoute(Route(type: .unicast, destination: IPPrefix(address: t.destination, length: t.destination.isV4 ? 32 : 128),
                                   device: out.name, scope: .link))
        default:
            return nil
        }
    }

    /// The protocol, addresses and destination port of an IPv4 or IPv6 frame.
    static func transport(_ frame: [UInt8], linkType: LinkType) -> (proto: UInt8, source: IPAddress, destination: IPAddress, dport: UInt16)? {
        frame.withUnsafeBytes { b in
            guard case .success(let link) = LinkFrame.decode(b, as: linkType) else { return nil }
            let net = link.network
            switch link.networkProtocol {
            case .ipv4:
                guard let ip = IPv4Packet.parseFixedHeader(net).value else { return nil }
                let p = ip.payload
                let dport = p.count >= 4 && ip.fragOffset == 0 ? UInt16(p[2]) << 8 | UInt16(p[3]) : 0
                return (ip.protocolNumber, .v4(ip.source), .v4(ip.destination), dport)
            case .ipv6:
                guard net.count >= 40 else { return nil }
                let ip = IPv6Packet(bytes: net)
                let p = Array(net.dropFirst(40))
                let dport = p.count >= 4 ? UInt16(p[2]) << 8 | UInt16(p[3]) : 0
                return (net[6], .v6(ip.source), .v6(ip.destination), dport)
            default:
                return nil
            }
        }
    }
}
