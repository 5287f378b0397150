// net/ipv4/inetpeer.c — the inet_peer base: long-lived facts about each remote address
// (6.18, 5.4). Modelled: the fragment counter ip_fragment.c keeps per source (peer->rid) and the
// redirect rate limit route.c keeps per sender (rate_last, n_redirects).
import Wire

/// struct inet_peer_base (net->ipv4.peers): per remote address, what the kernel remembers of it.
final class InetPeerBase {
    /// peer->rid: fragments seen from each source (ipfrag_max_dist).
    var rid: [IPv4Address: UInt32] = [:]
    /// peer->rate_last (jiffies) and peer->n_redirects: ip_rt_send_redirect's back-off.
    var redirects: [IPv4Address: (rateLast: Int, count: Int)] = [:]
}
