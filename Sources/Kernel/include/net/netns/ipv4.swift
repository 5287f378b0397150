// include/net/netns/ipv4.h — struct netns_ipv4: IPv4's per-namespace state (6.18, 5.4).
import DequeModule
import HostModel
import Wire

/// net->ipv4: the FIB (tables and rules), each device's IN_DEV_* settings (devconf), the
/// sysctls the receive and send paths read, the reassembly queues (fqdir) and the PMTUs learned
/// from ICMP (the nexthop exceptions), and the inet_peer base.
final class NetnsIPv4 {
    /// The routing tables and rules (fib_main, fib_local, rules_ops), indexed once per host.
    let fib: FIBIndex
    /// By interface index (slot 0 and gaps hold nil).
    let devconf: [DeviceConf?]
    /// net->ipv4.sysctl_*: read once per host.
    let sysctl: Sysctls
    /// net->ipv4.fqdir: the reassembly queues (net/ipv4/ip_fragment.c).
    let fqdir = FQDir()
    /// The nexthop exceptions (fib_nh_exception): PMTUs learned from fragmentation-needed, by
    /// destination.
    var fnhe: [IPv4Address: PMTUException] = [:]
    /// net->ipv4.peers: the inet_peer base.
    let peers = InetPeerBase()
    /// net->ipv4.icmp_global_credit / icmp_global_stamp (icmp_global_allow's bucket). 6.18 spends
    /// a random 0–2 credits per message (icmp_global_consume): the model spends 1, the mean, and
    /// keeps the two extremes beside it to say when the outcome depended on the draw.
    var icmpGlobal = [ICMPGlobalBucket(spend: 1), ICMPGlobalBucket(spend: 2), ICMPGlobalBucket(spend: 0)]
    private let sysctls: HostModel.Sysctls

    init(host: Host) {
        fib = FIBIndex(host.routes, rules: host.rules, interfaces: host.interfaces)
        var confs = [DeviceConf?](repeating: nil, count: min(4096, (host.interfaces.map(\.index).max() ?? 0) + 1))
        for i in host.interfaces where i.index >= 0 && i.index < confs.count && confs[i.index] == nil {
            confs[i.index] = DeviceConf(host.sysctls, device: i.name)
        }
        devconf = confs
        sysctl = Sysctls(host.sysctls)
        sysctls = host.sysctls
    }

    /// The device's settings (__in_dev_get_rcu(dev)->cnf with `all`'s).
    func conf(_ dev: Interface) -> DeviceConf {
        dev.index >= 0 && dev.index < devconf.count ? devconf[dev.index] ?? DeviceConf(sysctls, device: dev.name)
            : DeviceConf(sysctls, device: dev.name)
    }

    /// The per-interface IPv4 settings the receive path reads on every frame (IN_DEV_* of the
    /// device and `all`).
    struct DeviceConf {
        var rpFilter: Int, acceptLocal: Bool, acceptSourceRoute: Bool, routeLocalnet: Bool, forwarding: Bool
        /// IN_DEV_ORCONF(DROP_UNICAST_IN_L2_MULTICAST) (RFC 1122 3.3.6), IN_DEV_TX_REDIRECTS.
        var dropUnicastInL2Multicast: Bool, sendRedirects: Bool, sharedMedia: Bool

        init(_ s: HostModel.Sysctls, device: String) {
            rpFilter = s.ipv4Conf("rp_filter", device: device)
            acceptLocal = s.ipv4Conf("accept_local", device: device) != 0
            acceptSourceRoute = s.ipv4Conf("accept_source_route", device: device) != 0
            routeLocalnet = s.ipv4Conf("route_localnet", device: device) != 0
            forwarding = s.forwarding(device: device)
            dropUnicastInL2Multicast = s.ipv4Conf("drop_unicast_in_l2_multicast", device: device) != 0
            sendRedirects = s.ipv4Conf("send_redirects", device: device) != 0
            sharedMedia = s.ipv4Conf("shared_media", device: device) != 0
        }
    }

    /// The net.ipv4 sysctls the receive and send paths read on every frame.
    struct Sysctls {
        let icmpEchoIgnoreAll: Bool, icmpEchoIgnoreBroadcasts: Bool, noPMTUDisc: Bool
        let ipfragTime: Double, ipfragHighThresh: Int, ipfragMaxDist: UInt32
        let minPMTU: Int, mtuExpires: Int, defaultTTL: UInt8
        /// icmp_ratelimit (ms; the kernel keeps jiffies), icmp_ratemask, icmp_msgs_per_sec/burst.
        let icmpRatelimit: Int, icmpRatemask: Int, icmpMsgsPerSec: Int, icmpMsgsBurst: Int
        /// tcp_invalid_ratelimit (ms): answers to segments out of the window, at most one per.
        let tcpInvalidRatelimit: Int
        /// ip_early_demux && udp_early_demux: ip_rcv_finish_core asks udp_v4_early_demux;
        /// ip_early_demux && tcp_early_demux: tcp_v4_early_demux.
        let udpEarlyDemux: Bool, tcpEarlyDemux: Bool

        init(_ s: HostModel.Sysctls) {
            icmpEchoIgnoreAll = (s.int("net.ipv4.icmp_echo_ignore_all") ?? 0) != 0
            icmpEchoIgnoreBroadcasts = (s.int("net.ipv4.icmp_echo_ignore_broadcasts") ?? 1) != 0
            noPMTUDisc = (s.int("net.ipv4.ip_no_pmtu_disc") ?? 0) != 0
            ipfragTime = Double(s.int("net.ipv4.ipfrag_time") ?? 30)
            ipfragHighThresh = s.int("net.ipv4.ipfrag_high_thresh") ?? 4_194_304
            ipfragMaxDist = UInt32(clamping: s.int("net.ipv4.ipfrag_max_dist") ?? 64)
            minPMTU = s.int("net.ipv4.route.min_pmtu") ?? 552
            mtuExpires = s.int("net.ipv4.route.mtu_expires") ?? 600
            defaultTTL = UInt8(clamping: s.int("net.ipv4.ip_default_ttl") ?? 64)
            icmpRatelimit = s.int("net.ipv4.icmp_ratelimit") ?? 1000
            icmpRatemask = s.int("net.ipv4.icmp_ratemask") ?? 0x1818
            icmpMsgsPerSec = s.int("net.ipv4.icmp_msgs_per_sec") ?? 1000
            icmpMsgsBurst = s.int("net.ipv4.icmp_msgs_burst") ?? 50
            tcpInvalidRatelimit = s.int("net.ipv4.tcp_invalid_ratelimit") ?? 500
            udpEarlyDemux = (s.int("net.ipv4.ip_early_demux") ?? 1) != 0 && (s.int("net.ipv4.udp_early_demux") ?? 1) != 0
            tcpEarlyDemux = (s.int("net.ipv4.ip_early_demux") ?? 1) != 0 && (s.int("net.ipv4.tcp_early_demux") ?? 1) != 0
        }
    }
}

/// icmp_global_allow's token bucket, spending `spend` credits per message sent.
struct ICMPGlobalBucket {
    var credit = 0
    /// jiffies of the last refill; nil: never (the namespace's stamp is 0, long ago).
    var stamp: Int? = nil
    let spend: Int
    init(spend: Int) { self.spend = spend }

    /// icmp_global_allow: credit left, or a refill of msgs_per_sec × elapsed (at most HZ, and
    /// only after HZ/50), capped at the burst.
    mutating func allow(jiffies: Int, hz: Int, perSec: Int, burst: Int) -> Bool {
        if credit > 0 { return true }
        let delta = min(stamp.map { jiffies - $0 } ?? hz, hz)
        if delta < hz / 50 { return false }
        let incr = perSec * delta / hz
        if incr == 0 { return false }
        stamp = jiffies
        credit = min(credit + incr, burst)
        return true
    }
}

/// struct fqdir (include/net/inet_frag.h): one family's reassembly queues, the memory they
/// hold (fqdir->mem, against high_thresh) and their timers, oldest first.
final class FQDir {
    var queues: [FragKey: FragQueue] = [:]
    var mem = 0
    var timers: Deque<(created: Double, key: FragKey)> = []
}
