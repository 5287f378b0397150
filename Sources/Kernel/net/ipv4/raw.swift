// net/ipv4/raw.c — modelled: 6.18, 5.4. `ss -tuna` lists no raw sockets, so a snapshot host has
// none; raw_local_deliver runs and finds nothing.

extension Kernel {
    /// True when a raw socket took a copy.
    func raw_local_deliver(_ skb: SKB, proto: UInt8) -> Bool {
        let f = trace.enter("raw_local_deliver"); defer { trace.leave(f) }
        return host.sockets.contains { $0.protocolKind == .raw && Int($0.localPort) == Int(proto) }
    }
}
