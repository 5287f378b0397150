// net/ipv4/inetpeer.c — the inet_peer base: long-lived facts about each remote address
// (6.18, 5.4). Modelled: the fragment counter ip_fragment.c keeps per source (peer->rid) and the
// redirect rate limit route.c keeps per sender (rate_last, n_redirects).
import Wire

/// struct inet_peer_base (net->ipv4.peers): per remote address, what the kernel remembers of it.
final class InetPeerBase {
    /// peer->rid: fragments seen from each source (ipfrag_max_dist).
    var rid: [IPv4Address: UInt32] = [:]
    /// peer->rate_tokens and rate_last (jiffies) of each destination of ICMP errors
    /// (inet_peer_xrlim_allow); a new peer starts 60 s in the past, so with a full bucket.
    var icmpRate: [IPv4Address: (tokens: Int, last: Int)] = [:]
    /// The same for IPv6 destinations (net->ipv6.peers, inet_getpeer_v6).
    var icmpRate6: [IPv6Address: (tokens: Int, last: Int)] = [:]
    /// peer->rate_last (jiffies) and peer->n_redirects: ip_rt_send_redirect's back-off.
    var redirects: [IPv4Address: (rateLast: Int, count: Int)] = [:]
}

extension InetPeerBase {
    /// inet_peer_xrlim_allow: tokens accrue one per jiffy up to XRLIM_BURST_FACTOR (6) ×
    /// `timeout`; a message spends `timeout`.
    func xrlimAllow(_ addr: IPv4Address, jiffies: Int, hz: Int, timeout: Int) -> Bool {
        Self.xrlimAllow(&icmpRate, addr, jiffies: jiffies, hz: hz, timeout: timeout)
    }

    func xrlimAllow(_ addr: IPv6Address, jiffies: Int, hz: Int, timeout: Int) -> Bool {
        Self.xrlimAllow(&icmpRate6, addr, jiffies: jiffies, hz: hz, timeout: timeout)
    }

    private static func xrlimAllow<A: Hashable>(_ icmpRate: inout [A: (tokens: Int, last: Int)], _ addr: A, jiffies: Int, hz: Int, timeout: Int) -> Bool {
        var p = icmpRate[addr] ?? (tokens: 0, last: jiffies - 60 * hz)
        var token = p.tokens + (jiffies - p.last)
        p.last = jiffies
        token = min(token, 6 * timeout)
        var rc = false
        if token >= timeout { token -= timeout; rc = true }
        p.tokens = token
        if icmpRate.count < 65536 || icmpRate[addr] != nil { icmpRate[addr] = p }
        return rc
    }
}
