// net/ipv6/raw.c — raw6_local_deliver (6.18, 5.4): a copy for each raw IPv6 socket of the
// protocol: the snapshot's raw IPv6 sockets and those the host's own sends opened.
import HostModel

extension Kernel {
    func raw6_local_deliver(_ skb: SKB, nexthdr: UInt8) -> Bool {
        rawV6Protocols.contains(nexthdr) || host.sockets.contains { $0.protocolKind == .raw && $0.isV6 && Int($0.localPort) == Int(nexthdr) }
    }
}
