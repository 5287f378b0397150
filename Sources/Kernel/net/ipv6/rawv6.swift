// net/ipv6/raw.c — raw6_local_deliver (6.18, 5.4): a copy for each raw IPv6 socket of the
// protocol. The model knows the snapshot's raw sockets only.
import HostModel

extension Kernel {
    func raw6_local_deliver(_ skb: SKB, nexthdr: UInt8) -> Bool {
        host.sockets.contains { $0.protocolKind == .raw && $0.isV6 && Int($0.localPort) == Int(nexthdr) }
    }
}
