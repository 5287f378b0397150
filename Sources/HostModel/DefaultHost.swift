// The embedded default host, for `--host default` and when nothing else is given: one e1000 NIC
// eth0 with 192.168.1.10/24 and a default route via 192.168.1.1, lo, kernel-default sysctls, the
// three default rules, no sockets, no firewall. It is written as snapshot files and read by the
// same loader as any snapshot, so it cannot drift from what a real snapshot gives.

extension Host {
    public static let defaultSnapshot = Snapshot(origin: "default", files: [
        .addresses: """
        [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"operstate":"UNKNOWN","link_type":"loopback","address":"00:00:00:00:00:00","promiscuity":0,"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host"}]},\
        {"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","link_type":"ether","address":"52:54:00:12:34:56","promiscuity":0,"addr_info":[{"family":"inet","local":"192.168.1.10","prefixlen":24,"broadcast":"192.168.1.255","scope":"global","label":"eth0"}]}]
        """,
        .routes: """
        [{"dst":"default","gateway":"192.168.1.1","dev":"eth0","flags":[]},\
        {"dst":"192.168.1.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.168.1.10","flags":[]},\
        {"type":"local","dst":"127.0.0.0/8","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},\
        {"type":"local","dst":"127.0.0.1","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},\
        {"type":"broadcast","dst":"127.255.255.255","dev":"lo","table":"local","protocol":"kernel","scope":"link","prefsrc":"127.0.0.1","flags":[]},\
        {"type":"local","dst":"192.168.1.10","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"192.168.1.10","flags":[]},\
        {"type":"broadcast","dst":"192.168.1.255","dev":"eth0","table":"local","protocol":"kernel","scope":"link","prefsrc":"192.168.1.10","flags":[]}]
        """,
        .rules: """
        [{"priority":0,"src":"all","table":"local"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]
        """,
        .neighbours: """
        [{"dst":"192.168.1.1","dev":"eth0","lladdr":"52:54:00:00:00:01","state":["REACHABLE"]}]
        """,
        .drivers: """
        /sys/class/net/eth0/device/uevent:DRIVER=e1000

        """,
    ])

    // The snapshot above is fixed text that the loader is tested on; a failure here is a bug.
    public static let defaultHost: Host = {
        do { return try Host(snapshot: defaultSnapshot) } catch { fatalError("embedded default host: \(error)") }
    }()
}
