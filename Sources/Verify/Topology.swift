// A throwaway copy of a snapshot host: namespace `trv-<pid>-h` with one veth per snapshot
// interface (same name, MAC, MTU, addresses), each peer in a wire namespace of its own
// (`trv-<pid>-w<i>`, where the peer only listens); routes, rules, permanent neighbours, the
// net.ipv4 sysctls, receive packet steering (rps_cpus) and the nft ruleset applied; the snapshot's listening TCP and unconnected UDP
// sockets held open (UDP ones with the snapshot's receive buffer size). IPv6 runs in the host namespace only when the snapshot gives the host IPv6
// addresses, and then quietly: no addresses of the kernel's own making (addr_gen_mode 1), no DAD,
// no router solicitations, MLD reports sent at once when a group is joined (while the topology is
// built, not during the replay). Nothing is routed outside these namespaces.
import CLinux
import Foundation
import HostModel
import Wire
#if canImport(Glibc)
import Glibc
#endif

final class Topology {
    let host: HostModel.Host
    let snapshot: Snapshot
    let hostNS: String
    /// Interface name → (wire namespace, peer name).
    private(set) var wires: [String: (netns: String, peer: String)] = [:]
    private var sockets: [Int32] = []
    /// The held TCP listeners (non-blocking): the replay's application accepts from them.
    private(set) var listeners: [Int32] = []
    /// Whether the application on a UDP port reads it (the model's reader policy); the held
    /// UDP sockets that do are read by `reader`, as a running service reads.
    var reads: (UInt16) -> Bool = { _ in true }
    private var reader: UDPReader?

    init(snapshot: Snapshot, host: HostModel.Host) {
        self.snapshot = snapshot
        self.host = host
        hostNS = "trv-\(getpid())-h"
    }

    /// The snapshot has a ruleset: it is loaded, and packets are traced through it.
    var hasRuleset: Bool { hasNftables || hasIptables }
    var hasNftables: Bool { !(snapshot.files[.nftText] ?? "").allSatisfy(\.isWhitespace) }
    var hasIptables: Bool { !(snapshot.files[.iptablesSave] ?? "").allSatisfy(\.isWhitespace) }

    /// The snapshot gives an interface an IPv6 address: IPv6 runs on the host.
    var hasIPv6: Bool { host.interfaces.contains { !$0.isLoopback && $0.addresses.contains { !$0.address.isV4 } } }

    func build() throws {
        try Shell.run(["ip", "netns", "add", hostNS])
        try quiet(hostNS, ipv6: hasIPv6)
        for (i, iface) in host.interfaces.filter({ !$0.isLoopback && $0.linkType == "ether" }).enumerated() {
            let wire = "trv-\(getpid())-w\(i)"
            let peer = "w\(i)"
            try Shell.run(["ip", "netns", "add", wire])
            try quiet(wire)
            try Shell.run(["ip", "link", "add", iface.name, "netns", hostNS, "type", "veth", "peer", "name", peer, "netns", wire])
            if let mac = iface.mac { try Shell.run(["ip", "-n", hostNS, "link", "set", iface.name, "address", mac.description]) }
            try Shell.run(["ip", "-n", hostNS, "link", "set", iface.name, "mtu", String(iface.mtu)])
            try Shell.run(["ip", "-n", wire, "link", "set", peer, "mtu", "9000", "up"])
            // The host's interfaces keep veth's offloads (checksums left to the "device", TSO), as
            // the hosts captures come from have them: what it sends is compared with its
            // CHECKSUM_PARTIAL checksums finished (Comparison.normalise), its super-packets whole.
            // The wire only listens: its packet socket sees each frame first, then this drops it.
            try Shell.run(["nft", "-f", "-"], netns: wire, input: "table netdev wire {\n chain in { type filter hook ingress device \(peer) priority 0; policy drop; }\n}\n")
            if iface.isUp { try Shell.run(["ip", "-n", hostNS, "link", "set", iface.name, "up"]) }
            // Receive packet steering as the snapshot has it (the veth's one receive queue; a
            // mask naming CPUs this machine lacks is refused, and the queue stays unsteered).
            if let mask = iface.rpsCPUs, mask.allSatisfy({ $0.isHexDigit || $0 == "," }) {
                _ = try? Shell.run(["sh", "-c", "echo \(mask) > /sys/class/net/\(iface.name)/queues/rx-0/rps_cpus"], netns: hostNS, check: false)
            }
            for a in iface.addresses where a.address.isV4 {
                try Shell.run(["ip", "-n", hostNS, "addr", "add", "\(a.address)/\(a.prefixLength)", "dev", iface.name])
            }
            for a in iface.addresses where !a.address.isV4 && hasIPv6 {
                try Shell.run(["ip", "-n", hostNS, "-6", "addr", "add", "\(a.address)/\(a.prefixLength)", "dev", iface.name, "nodad"])
            }
            wires[iface.name] = (wire, peer)
        }
        // The snapshot's net.ipv4 sysctls, in one `sysctl -p` (read-only ones are refused, quietly).
        // With IPv6 running, its per-device settings too (not those that keep the replay quiet).
        let quietKeys = ["addr_gen_mode", "accept_dad", "router_solicitations", "mldv1_unsolicited_report_interval",
                         "mldv2_unsolicited_report_interval", "stable_secret", "disable_ipv6"]
        // TCP's are left to this host's kernel, but for tcp_early_demux, which decides the input
        // path (a namespace's own since 4.14).
        let settings = host.sysctls.values.sorted(by: { $0.key < $1.key })
            .filter { ($0.key.hasPrefix("net.ipv4.") && !$0.key.hasPrefix("net.ipv4.neigh") && (!$0.key.contains("tcp_") || $0.key == "net.ipv4.tcp_early_demux"))
                || (hasIPv6 && $0.key.hasPrefix("net.ipv6.conf.") && !quietKeys.contains(String($0.key.split(separator: ".").last ?? ""))) }
            .map { "\($0.key) = \($0.value)" }.joined(separator: "\n")
        _ = try? Shell.run(["sysctl", "-q", "-e", "-p", "/dev/stdin"], netns: hostNS, input: settings + "\n", check: false)
        for r in host.routes where (r.isV4 || hasIPv6) && r.protocolName != "kernel" && !(r.table == .local && !r.isV4) {
            var cmd = ["ip", "-n", hostNS] + (r.isV4 ? [] : ["-6"]) + ["route", "add"]
            if r.type != .unicast { cmd.append(r.type.rawValue) }
            cmd.append(r.destination.description)
            if let g = r.gateway { cmd += ["via", g.description] }
            if let d = r.device { cmd += ["dev", d] }
            if r.table != .main { cmd += ["table", String(r.table.id)] }
            if r.metric != 0 { cmd += ["metric", String(r.metric)] }
            if let s = r.preferredSource { cmd += ["src", s.description] }
            if let m = r.mtu { cmd += ["mtu", String(m)] }
            if r.protocolName != "boot" { cmd += ["proto", r.protocolName] }
            try Shell.run(cmd)
        }
        for r in host.rules where r.isV4 && !PolicyRule.defaultV4.contains(r) {
            var cmd = ["ip", "-n", hostNS, "rule", "add", "pref", String(r.priority)]
            if r.invert { cmd.append("not") }
            if let s = r.source { cmd += ["from", s.description] }
            if let d = r.destination { cmd += ["to", d.description] }
            if let m = r.fwmark { cmd += ["fwmark", "0x\(String(m, radix: 16))" + (r.fwmask.map { "/0x\(String($0, radix: 16))" } ?? "")] }
            if let i = r.inputInterface { cmd += ["iif", i] }
            if let o = r.outputInterface { cmd += ["oif", o] }
            if let p = r.ipProtocol { cmd += ["ipproto", p] }
            if let p = r.destinationPorts { cmd += ["dport", p.lowerBound == p.upperBound ? "\(p.lowerBound)" : "\(p.lowerBound)-\(p.upperBound)"] }
            switch r.action {
            case .lookup(let t): cmd += ["table", String(t.id)]
            case .goto(let p): cmd += ["goto", String(p)]
            case .nop: cmd.append("nop")
            case .blackhole, .unreachable, .prohibit: cmd.append(r.action.description)
            }
            try Shell.run(cmd)
        }
        for n in host.neighbours where n.isValid {
            if let mac = n.mac, n.address.isV4 || hasIPv6 {
                try Shell.run(["ip", "-n", hostNS, "neigh", "replace", n.address.description, "lladdr", mac.description, "dev", n.device, "nud", "permanent"])
            }
        }
        // nft.txt of an iptables-nft host lists iptables' own tables too; iptables-restore loads those.
        if hasNftables && !(hasIptables && snapshot.files[.nftText]!.contains("managed by iptables-nft")) {
            try Shell.run(["nft", "-f", "-"], netns: hostNS, input: snapshot.files[.nftText]!)
        }
        if hasIptables, let rules = Self.compatibleIptables(snapshot.files[.iptablesSave]!) {
            try Shell.run(["iptables-restore"], netns: hostNS, input: rules)
        }
        if hasRuleset { try Shell.run(["nft", "-f", "-"], netns: hostNS, input: NFTrace.ruleset) }
        try holdSockets()
        try joinGroups()
    }

    /// The snapshot's IPv4 groups (ip maddr; 224.0.0.1 the kernel joins itself), each joined on
    /// its device by a socket held open (IP_ADD_MEMBERSHIP: no command joins a group). The joins'
    /// unsolicited IGMP reports are let out first (a report interval of 1 ms), so none lands in
    /// a frame's window. IPv6 groups beyond the kernel's own are not joined (not modelled).
    private func joinGroups() throws {
        let groups = host.multicast.compactMap { m -> (String, IPv4Address)? in
            guard case .v4(let g) = m.group, g != .allHosts, wires[m.device] != nil else { return nil }
            return (m.device, g)
        }
        guard !groups.isEmpty else { return }
        let devices = Set(groups.map(\.0)).sorted()
        _ = try? Shell.run(["sysctl", "-qw"] + devices.flatMap { d in
            ["igmpv2_unsolicited_report_interval=1", "igmpv3_unsolicited_report_interval=1"].map { "net.ipv4.conf.\(d).\($0)" }
        }, netns: hostNS, check: false)
        try inNetns(hostNS) {
            for (device, group) in groups {
                let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                guard fd >= 0 else { continue }
                var req = ip_mreqn()
                req.imr_multiaddr.s_addr = group.value.bigEndian
                req.imr_ifindex = Int32(if_nametoindex(device))
                _ = setsockopt(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &req, socklen_t(MemoryLayout<ip_mreqn>.size))
                sockets.append(fd)
            }
        }
        usleep(30_000)
    }

    /// iptables-save's output without the tables it says it cannot show ("Table `nat' contains
    /// incompatible base-chains": an nft table of the same name, loaded from nft.txt, which
    /// restoring the empty stand-in would flush); nil when no table is left.
    static func compatibleIptables(_ text: String) -> String? {
        let skip = Ruleset.incompatibleTables(iptablesSave: text)
        var out: [Substring] = [], dropping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("*") { dropping = skip.contains(String(line.dropFirst())) }
            if !dropping { out.append(line) }
            if line == "COMMIT" { dropping = false }
        }
        return out.contains { $0.hasPrefix("*") } ? out.joined(separator: "\n") : nil
    }

    private func quiet(_ ns: String, ipv6: Bool = false) throws {
        if ipv6 {
            try Shell.run(["sysctl", "-qw"] + ["all", "default"].flatMap { c in
                ["addr_gen_mode=1", "accept_dad=0", "router_solicitations=0", "mldv1_unsolicited_report_interval=0",
                 "mldv2_unsolicited_report_interval=0"].map { "net.ipv6.conf.\(c).\($0)" }
            }, netns: ns)
        } else {
            try Shell.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"], netns: ns)
        }
        try Shell.run(["ip", "-n", ns, "link", "set", "lo", "up"])
    }

    /// The snapshot's TCP listeners and UDP sockets (unconnected, and connect(2)ed ones: ss's
    /// ESTAB), opened inside the host namespace.
    private func holdSockets() throws {
        var readable: [Int32] = []
        try inNetns(hostNS) {
            for s in host.sockets where (s.protocolKind == .tcp && s.state == "LISTEN")
                || (s.protocolKind == .udp && (s.state == "UNCONN" || (s.state == "ESTAB" && s.remoteAddress != nil))) {
                if case .v4(let a)? = s.localAddress, a.isLoopback { continue }
                if case .v6(let a)? = s.localAddress, a.isLoopback { continue }
                // An IPv6 socket where IPv6 runs (`*`: dual stack), else IPv4's.
                let v6 = s.isV6 && hasIPv6
                if s.isV6 && s.localAddress != nil && !v6 { continue }
                let fd = socket(v6 ? AF_INET6 : AF_INET, s.protocolKind == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue), 0)
                guard fd >= 0 else { continue }
                var one: Int32 = 1, zero: Int32 = 0
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
                let ok: Int32
                if v6 {
                    setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
                    var addr = sockaddr_in6()
                    addr.sin6_family = sa_family_t(AF_INET6)
                    addr.sin6_port = s.localPort.bigEndian
                    if case .v6(let a)? = s.localAddress {
                        withUnsafeMutableBytes(of: &addr.sin6_addr) { b in for (i, x) in a.bytes.enumerated() { b[i] = x } }
                    }
                    ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
                } else {
                    var addr = sockaddr_in()
                    addr.sin_family = sa_family_t(AF_INET)
                    addr.sin_port = s.localPort.bigEndian
                    if case .v4(let a)? = s.localAddress { addr.sin_addr.s_addr = a.value.bigEndian }
                    ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                }
                if ok == 0, s.state == "ESTAB", let port = s.remotePort {   // connect(2)ed to its peer
                    switch s.remoteAddress {
                    case .v4(let peer)? where !v6: _ = tracer_inet_connect(fd, peer.value, port)
                    case .v6(let peer)? where v6: _ = peer.bytes.withUnsafeBufferPointer { tracer_inet6_connect(fd, $0.baseAddress, port) }
                    default: break
                    }
                }
                if ok == 0 && s.protocolKind == .tcp, listen(fd, 16) == 0 {
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                    listeners.append(fd)
                }
                if s.protocolKind == .udp {
                    // The snapshot's sk_rcvbuf (ss -m's rb, else its net.core.rmem_default):
                    // SO_RCVBUFFORCE halves what the kernel doubles, past this machine's rmem_max.
                    var half = Int32(clamping: (s.rcvbuf ?? host.sysctls.int("net.core.rmem_default") ?? 212_992) / 2)
                    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &half, socklen_t(MemoryLayout<Int32>.size))
                }
                if ok == 0 && s.protocolKind == .udp && reads(s.localPort) { readable.append(fd) }
                sockets.append(fd)
            }
        }
        for fd in readable { read(fd) }
    }

    /// Has the reader take datagrams off `fd` as they arrive (started with the first).
    func read(_ fd: Int32) {
        if reader == nil { reader = UDPReader() }
        reader!.add(fd)
    }

    /// Stops the reads (before the sockets close).
    func stopReading() {
        reader?.stop()
        reader = nil
    }

    /// Removes every namespace of this run — also those a build cut short had not listed yet.
    func destroy() {
        stopReading()
        for fd in sockets { close(fd) }
        sockets = []
        listeners = []
        Leftovers.removeOwn()
        wires = [:]
    }
}

/// The applications' reads: a thread that takes each datagram off the held UDP sockets as it
/// arrives (udp_recvmsg, where the kernel counts UdpInDatagrams), until stopped.
final class UDPReader: @unchecked Sendable {
    private var fds: [Int32] = []
    private let lock = NSLock()
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)

    init() {
        let t = Thread { [self] in run() }
        t.start()
    }

    func add(_ fd: Int32) { lock.lock(); fds.append(fd); lock.unlock() }

    private var state: (stop: Bool, fds: [Int32]) { lock.lock(); defer { lock.unlock() }; return (stopping, fds) }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let (stop, current) = state
            if stop { break }
            var polls = current.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard !polls.isEmpty else { usleep(10_000); continue }
            guard poll(&polls, nfds_t(polls.count), 20) > 0 else { continue }
            for p in polls where p.revents & Int16(POLLIN) != 0 {
                _ = recv(p.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            }
        }
        done.signal()
    }

    /// Stops the thread and waits for it (the sockets are closed after).
    func stop() {
        lock.lock(); stopping = true; lock.unlock()
        done.wait()
    }
}
