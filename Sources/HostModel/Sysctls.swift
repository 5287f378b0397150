// net.* sysctls: the snapshot's values over the kernel's defaults for a new network namespace.

public struct Sysctls: Equatable, Sendable {
    /// Only what the snapshot (or the caller) set; defaults are looked up separately.
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// `sysctl -a` output: `key = value` lines; other lines are ignored.
    public init(parsing text: String) {
        var v: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.range(of: " = ") else { continue }
            let key = line[..<eq.lowerBound].trimmed
            guard key.hasPrefix("net.") else { continue }
            v[key] = line[eq.upperBound...].trimmed
        }
        values = v
    }

    public subscript(key: String) -> String? { values[key] ?? Self.kernelDefaults[key] }

    public func int(_ key: String) -> Int? { self[key].flatMap { Int($0.split(separator: "\t").first ?? "") } }

    /// ping_group_range "low high": ping sockets exist for the groups in the range — root's
    /// (group 0) here, as the model and `tracer verify` run as root.
    public var pingSocketsAllowed: Bool {
        let r = (self["net.ipv4.ping_group_range"] ?? "1\t0").split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
        return r.count == 2 && r[0] <= 0 && 0 <= r[1]
    }

    /// A per-interface IPv4 setting as the kernel reads it for `device`: the device's own value,
    /// with `all` combined the way IN_DEV_* macros combine them (`max` for rp_filter,
    /// `or` for accept_local/log_martians/route_localnet, `and` for accept_source_route,
    /// send_redirects and bootp_relay, device only for the rest).
    public func ipv4Conf(_ name: String, device: String) -> Int {
        let dev = int("net.ipv4.conf.\(device).\(name)") ?? int("net.ipv4.conf.default.\(name)") ?? 0
        let all = int("net.ipv4.conf.all.\(name)") ?? 0
        switch name {
        case "rp_filter", "arp_ignore", "arp_announce": return max(dev, all)
        // IN_DEV_ORCONF and IN_DEV_ANDCONF (include/linux/inetdevice.h).
        case "accept_local", "log_martians", "route_localnet", "arp_filter", "proxy_arp", "src_valid_mark",
             "send_redirects", "shared_media", "drop_unicast_in_l2_multicast", "drop_gratuitous_arp":
            return (dev != 0 || all != 0) ? 1 : 0
        case "accept_source_route", "bootp_relay", "mc_forwarding":
            return (dev != 0 && all != 0) ? 1 : 0
        default: return dev
        }
    }

    /// Values a fresh network namespace has on Linux 6.x (checked in a new netns on 6.18 with
    /// `ip netns exec N sysctl -a`). Interfaces inherit `conf.default`.
    public static let kernelDefaults: [String: String] = [
        "net.ipv4.ip_forward": "0",
        "net.ipv4.ip_default_ttl": "64",
        "net.ipv4.ip_no_pmtu_disc": "0",
        "net.ipv4.ip_local_port_range": "32768\t60999",
        "net.ipv4.ipfrag_time": "30",
        "net.ipv4.ipfrag_high_thresh": "4194304",
        "net.ipv4.ipfrag_low_thresh": "3145728",
        "net.ipv4.ipfrag_max_dist": "64",
        "net.ipv4.icmp_echo_ignore_all": "0",
        "net.ipv4.icmp_echo_ignore_broadcasts": "1",
        "net.ipv4.icmp_ratelimit": "1000",
        "net.ipv4.icmp_ratemask": "6168",
        "net.ipv4.icmp_errors_use_inbound_ifaddr": "0",
        "net.ipv4.tcp_syncookies": "1",
        "net.ipv4.conf.all.forwarding": "0",
        "net.ipv4.conf.all.rp_filter": "0",
        "net.ipv4.conf.all.accept_local": "0",
        "net.ipv4.conf.all.route_localnet": "0",
        "net.ipv4.conf.all.log_martians": "0",
        "net.ipv4.conf.all.arp_ignore": "0",
        "net.ipv4.conf.all.arp_announce": "0",
        "net.ipv4.conf.all.arp_filter": "0",
        "net.ipv4.conf.default.forwarding": "0",
        "net.ipv4.conf.default.rp_filter": "0",
        "net.ipv4.conf.default.accept_local": "0",
        "net.ipv4.conf.default.route_localnet": "0",
        "net.ipv4.conf.default.log_martians": "0",
        "net.ipv4.conf.default.arp_ignore": "0",
        "net.ipv4.conf.default.arp_announce": "0",
        "net.ipv6.conf.all.forwarding": "0",
    ]
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmed: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
