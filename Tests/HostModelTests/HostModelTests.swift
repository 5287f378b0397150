import Foundation
import Testing
import TestSupport
import Wire
@testable import HostModel

/// Foundation has a `Host` of its own; ours is the network host.
typealias Host = HostModel.Host


@Suite struct DefaultHostTests {
    @Test func defaultHost() throws {
        let h = Host.defaultHost
        #expect(h.origin == "default")
        #expect(h.interfaces.map(\.name) == ["lo", "eth0"])
        let eth0 = try #require(h.interface(named: "eth0"))
        #expect(eth0.driver == "e1000" && eth0.mtu == 1500 && eth0.isUp && !eth0.isLoopback)
        #expect(eth0.primaryIPv4 == IPv4Address(192, 168, 1, 10))
        #expect(h.interface(named: "lo")!.isLoopback)
        #expect(h.firstNonLoopback?.name == "eth0")
        #expect(h.rules == PolicyRule.defaultV4)
        let def = try #require(h.routes.first { $0.destination.length == 0 })
        #expect(def.gateway == .v4(IPv4Address(192, 168, 1, 1)) && def.table == .main && def.type == .unicast)
        #expect(h.routes.filter { $0.table == .local }.count == 5)
        #expect(h.sysctls.int("net.ipv4.ip_forward") == 0)
        #expect(h.sysctls.int("net.ipv4.ipfrag_time") == 30)
        #expect(h.sockets.isEmpty && h.nftablesJSON == nil)
        #expect(try Host.load("default") == h)
    }
}

@Suite struct NetnsSnapshotTests {
    /// Fixtures/hosts/netns-h: `tracer snapshot` run inside a network namespace set up by
    /// Fixtures/scripts/capture-netns.sh (routes of every type, rules, sysctls, sockets, nft).
    let host = try! Host.load("\(packageRoot)/Fixtures/hosts/netns-h")

    @Test func interfaces() throws {
        #expect(host.interfaces.map(\.name) == ["lo", "eth0", "eth1"])
        let eth1 = try #require(host.interface(index: 3))
        #expect(eth1.name == "eth1" && eth1.mtu == 1400 && eth1.mac == MACAddress("02:00:00:00:01:01"))
        #expect(eth1.kind == "veth" && eth1.driver == "veth")
        #expect(eth1.addresses.first?.address == .v4(IPv4Address(10, 2, 0, 2)))
        #expect(eth1.addresses.first?.prefix.description == "10.2.0.0/24")
        #expect(host.interface(mac: MACAddress("02:00:00:00:00:01")!)?.name == "eth0")
    }

    @Test func everyRouteType() throws {
        func route(_ dst: String, table: RouteTable = .main) -> Route? {
            host.routes.first { $0.destination.description == dst && $0.table == table }
        }
        #expect(route("10.66.0.0/16")?.type == .blackhole)
        #expect(route("10.67.0.0/16")?.type == .unreachable)
        #expect(route("10.68.0.0/16")?.type == .prohibit)
        #expect(route("10.71.0.0/16", table: RouteTable(100))?.type == .throw)
        let custom = try #require(route("10.70.0.0/16", table: RouteTable(100)))
        #expect(custom.gateway == .v4(IPv4Address(10, 2, 0, 1)) && custom.device == "eth1" && custom.protocolName == "static")
        let mtu = try #require(route("10.9.0.0/16"))
        #expect(mtu.mtu == 1280 && mtu.metric == 50)
        let local = try #require(route("10.1.0.2", table: .local))
        #expect(local.type == .local && local.scope == .host && local.preferredSource == .v4(IPv4Address(10, 1, 0, 2)))
        #expect(route("10.1.0.255", table: .local)?.type == .broadcast)
        let connected = try #require(route("10.1.0.0/24"))
        #expect(connected.scope == .link && connected.protocolName == "kernel")
        // IPv6 routes come once each (ip-route.json lists them too; ip6-route.json wins).
        let v6 = host.routes.filter { !$0.isV4 }
        #expect(v6.count == Set(v6.map { "\($0.table) \($0.type) \($0.destination) \($0.device ?? "")" }).count)
        #expect(v6.contains { $0.type == .multicast && $0.destination.description == "ff00::/8" })
    }

    @Test func rules() {
        let v4 = host.rules.filter(\.isV4)
        #expect(v4.map(\.priority) == [0, 100, 101, 32766, 32767])
        #expect(v4[1].source?.description == "10.1.0.0/24" && v4[1].destination?.description == "10.70.0.0/15")
        #expect(v4[1].action == .lookup(RouteTable(100)))
        #expect(v4[2].fwmark == 0x10 && v4[2].fwmask == 0xff)
        #expect(host.rules.filter { !$0.isV4 }.map(\.priority) == [0, 32766])
    }

    @Test func neighboursSysctlsSocketsFirewall() {
        #expect(host.neighbours.contains { $0.address == .v4(IPv4Address(10, 1, 0, 1)) && $0.mac == MACAddress("02:00:00:00:00:fe") && $0.states == ["PERMANENT"] && $0.isValid })
        #expect(host.sysctls.int("net.ipv4.ip_forward") == 1)
        #expect(host.sysctls.ipv4Conf("rp_filter", device: "eth0") == 1)
        #expect(host.sysctls.ipv4Conf("rp_filter", device: "eth1") == 0)
        #expect(host.sockets.contains { $0.protocolKind == .udp && $0.localAddress == nil && $0.localPort == 5353 && $0.state == "UNCONN" })
        #expect(host.sockets.contains { $0.protocolKind == .tcp && $0.localAddress == .v4(IPv4Address(10, 1, 0, 2)) && $0.localPort == 80 && $0.state == "LISTEN" })
        #expect(host.nftablesJSON?.contains("\"dport\"") == true)
    }
}

@Suite struct SnapshotParsingTests {
    func host(_ files: [SnapshotFile: String]) throws -> Host { try Host(snapshot: Snapshot(origin: "/snap", files: files)) }

    @Test func emptySnapshotMeansDefaults() throws {
        let h = try host([:])
        #expect(h.interfaces.isEmpty && h.routes.isEmpty && h.rules == PolicyRule.defaultV4)
        #expect(h.sysctls["net.ipv4.ipfrag_high_thresh"] == "4194304")
    }

    @Test func errorsNameTheFileAndEntry() {
        #expect(throws: SnapshotError(file: "/snap/ip-addr.json", message: "not JSON (expected the output of `ip -j -d addr show`)")) {
            try host([.addresses: "ip: command not found"])
        }
        #expect(throws: SnapshotError(file: "/snap/ip-route.json", message: "route 2: bad or missing dst")) {
            try host([.routes: #"[{"dst":"default","dev":"eth0"},{"dst":"10.0.0.0/33"}]"#])
        }
        #expect(throws: SnapshotError(file: "/snap/ip-route.json", message: "route 1: unknown route type 'weird'")) {
            try host([.routes: #"[{"type":"weird","dst":"10.0.0.0/8"}]"#])
        }
        #expect(throws: SnapshotError(file: "/snap/ip-rule.json", message: "expected a JSON array (the output of `ip -j rule show`)")) {
            try host([.rules: #"{"priority":0}"#])
        }
        #expect(throws: SnapshotError(file: "/snap/ip-neigh.json", message: "entry 1 is not an object")) {
            try host([.neighbours: "[1]"])
        }
        #expect(throws: SnapshotError(file: "/nonexistent", message: "no such snapshot directory")) {
            try Host.load("/nonexistent")
        }
    }

    @Test func ruleActionsAndSelectors() throws {
        let h = try host([.rules: #"""
            [{"priority":102,"not":null,"src":"all","dst":"10.0.0.0","dstlen":8,"action":"unreachable"},
             {"priority":103,"src":"all","ipproto":"udp","dport":53,"action":"prohibit"},
             {"priority":104,"src":"all","sport":"1000-2000","iif":"eth0","oif":"eth1","table":"main"},
             {"priority":105,"src":"all","goto":32766,"action":"goto"},
             {"priority":106,"src":"all","action":"blackhole","suppress_prefixlength":0}]
            """#])
        #expect(h.rules[0].invert && h.rules[0].destination?.description == "10.0.0.0/8" && h.rules[0].action == .unreachable)
        #expect(h.rules[1].ipProtocol == "udp" && h.rules[1].destinationPorts == 53...53 && h.rules[1].action == .prohibit)
        #expect(h.rules[2].sourcePorts == 1000...2000 && h.rules[2].inputInterface == "eth0" && h.rules[2].outputInterface == "eth1")
        #expect(h.rules[3].action == .goto(32766))
        #expect(h.rules[4].action == .blackhole && h.rules[4].suppressPrefixLength == 0)
    }

    @Test(arguments: [
        ("udp   UNCONN 0      0      0.0.0.0:68        0.0.0.0:*", Socket(protocolKind: .udp, state: "UNCONN", localAddress: nil, localPort: 68)),
        ("udp UNCONN 0 0 10.0.0.5%eth0:68 0.0.0.0:*", Socket(protocolKind: .udp, state: "UNCONN", localAddress: .v4(IPv4Address(10, 0, 0, 5)), localPort: 68, boundDevice: "eth0")),
        ("tcp LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:*", Socket(protocolKind: .tcp, state: "LISTEN", localAddress: .v4(IPv4Address(127, 0, 0, 53)), localPort: 53, boundDevice: "lo")),
        ("tcp LISTEN 0 128 [::]:22 [::]:*", Socket(protocolKind: .tcp, state: "LISTEN", localAddress: nil, localPort: 22, isV6: true)),
        ("tcp LISTEN 0 128 *:8080 *:*", Socket(protocolKind: .tcp, state: "LISTEN", localAddress: nil, localPort: 8080, isV6: true)),
        ("udp UNCONN 0 0 [fe80::1]%eth0:546 [::]:*", Socket(protocolKind: .udp, state: "UNCONN", localAddress: .v6(IPv6Address("fe80::1")!), localPort: 546, boundDevice: "eth0", isV6: true)),
        ("tcp ESTAB 0 0 192.0.2.2:38640 203.0.113.80:80", Socket(protocolKind: .tcp, state: "ESTAB", localAddress: .v4(IPv4Address(192, 0, 2, 2)), localPort: 38640, remoteAddress: .v4(IPv4Address(203, 0, 113, 80)), remotePort: 80)),
    ])
    func ssLines(line: String, socket: Socket) {
        #expect(Socket(ssLine: Substring(line)) == socket)
    }

    @Test func ssJunk() {
        for line in ["", "Netid State", "sctp LISTEN 0 0 *:1 *:*", "tcp LISTEN 0 0 nonsense *:*", "udp UNCONN 0 0 1.2.3.4:99999 *:*"] {
            #expect(Socket(ssLine: Substring(line)) == nil, "\(line)")
        }
    }

    @Test func sysctlText() {
        let s = Sysctls(parsing: "net.ipv4.ip_forward = 1\nkernel.hostname = x\nnet.ipv4.ip_local_port_range = 1024\t65535\ngarbage\n")
        #expect(s.values == ["net.ipv4.ip_forward": "1", "net.ipv4.ip_local_port_range": "1024\t65535"])
        #expect(s.int("net.ipv4.ip_local_port_range") == 1024)
        #expect(s.int("net.ipv4.ip_default_ttl") == 64)   // kernel default
        let all = Sysctls(["net.ipv4.conf.all.rp_filter": "2", "net.ipv4.conf.eth0.rp_filter": "1", "net.ipv4.conf.eth0.accept_local": "1"])
        #expect(all.ipv4Conf("rp_filter", device: "eth0") == 2)      // max(all, dev)
        #expect(all.ipv4Conf("accept_local", device: "eth0") == 1)   // all || dev
        #expect(all.ipv4Conf("accept_local", device: "eth1") == 0)
    }

    @Test func prefixes() {
        let p = IPPrefix("10.1.2.3/16", v6: false)!
        #expect(p.network.description == "10.1.0.0/16")
        #expect(p.contains(IPv4Address(10, 1, 200, 1)) && !p.contains(IPv4Address(10, 2, 0, 1)))
        #expect(IPPrefix("default", v6: false)!.contains(IPv4Address(8, 8, 8, 8)))
        #expect(IPPrefix("default", v6: true)!.description == "default")
        let v6 = IPPrefix("fd00::/64", v6: true)!
        #expect(v6.contains(.v6(IPv6Address("fd00::99")!)) && !v6.contains(.v6(IPv6Address("fd01::1")!)))
        #expect(!v6.contains(.v4(IPv4Address(1, 2, 3, 4))))
        #expect(IPPrefix("fd00::1/129", v6: true) == nil && IPPrefix("1.2.3.4/-1", v6: false) == nil)
        #expect(IPPrefix("10.0.0.1", v6: false)!.length == 32)
    }
}

@Suite struct SnapshotRoundTripTests {
    static var canSnapshot: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/usr/bin/ip") }

    /// `tracer snapshot` on this machine: written, read back, the same host model; and that model
    /// agrees with what /sys/class/net says independently of `ip`.
    @Test(.enabled(if: canSnapshot, "iproute2's ip is not installed"))
    func thisMachine() throws {
        let captured = try Snapshot.capture()
        let live = try Host(snapshot: captured)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tracer-snap-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try captured.write(to: dir)
        var loaded = try Host.load(dir)
        #expect(loaded.origin == dir)
        loaded.origin = live.origin
        #expect(loaded == live)

        let names = try FileManager.default.contentsOfDirectory(atPath: "/sys/class/net").sorted()
        #expect(live.interfaces.map(\.name).sorted() == names)
        for name in names {
            let sys = { (f: String) in (try? String(contentsOfFile: "/sys/class/net/\(name)/\(f)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) }
            let iface = try #require(live.interface(named: name))
            #expect(String(iface.index) == sys("ifindex"))
            #expect(String(iface.mtu) == sys("mtu"))
            if let mac = iface.mac { #expect(mac.description == sys("address")) }
        }
        #expect(live.rules.contains { $0.priority == 0 && $0.action == .lookup(.local) })
        #expect(live.routes.contains { $0.table == .local && $0.type == .local && $0.destination.description == "127.0.0.1" })
    }
}

@Suite struct NftNatTableTests {
    /// An nft table named `nat` is one iptables-nft cannot read: iptables-save says so and prints
    /// empty built-in chains for it. The snapshot's ruleset keeps nft's masquerade rule.
    @Test func nftNatTableSurvivesIptablesSave() throws {
        let h = try Host.load("\(packageRoot)/Fixtures/hosts/nat-router")
        let nat = try #require(h.ruleset.tables.first { $0.name == "nat" && $0.family == .ip })
        #expect(nat.chains.map(\.name) == ["postrouting"])
        #expect(nat.chains.first?.rules.first?.text.contains("masquerade") == true)
        #expect(h.ruleset.tables.filter { $0.name == "nat" }.count == 1)
    }
}
