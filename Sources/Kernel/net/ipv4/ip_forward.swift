// net/ipv4/ip_forward.c — modelled: 6.18 (checked: forward, TTL 1, DF over MTU), 5.4.
import Wire

extension Kernel {
    func ip_forward(_ skb: SKB) {
        let f = trace.enter(.ip_forward); defer { trace.leave(f) }
        guard skb.pktType == .host else {
            kfree_skb_reason("NOT_SPECIFIED", detail: "only PACKET_HOST frames are forwarded")
            return
        }
        let (ttl, df, total) = skb.withIPv4 { ($0.ttl, $0.dontFrag, Int($0.totalLength)) }
        if ttl <= 1 {
            counters.inc(.IpInHdrErrors)
            icmp_send(skb, type: 11, code: 0, info: 0)
            kfree_skb_reason("IP_INHDR", detail: "TTL \(ttl) would reach 0: ICMP time exceeded in transit")
            return
        }
        if !profile.countsIPOutAtOutput { counters.inc(.IpForwDatagrams) }   // 6.18 counts it here, before the MTU check and FORWARD
        let mtu = skb.dst?.mtu ?? 1500
        // ip_exceeds_mtu: a reassembled datagram by its largest fragment.
        if df && (skb.fragMaxSize.map { $0 > mtu } ?? (total > mtu)) {
            counters.inc(.IpFragFails)
            icmp_send(skb, type: 3, code: 4, info: UInt32(mtu))
            kfree_skb_reason("PKT_TOO_BIG", detail: "\(total) bytes with DF set exceed the \(mtu)-byte MTU toward \(skb.dst?.device ?? "?"): ICMP fragmentation needed")
            return
        }
        ip_decrease_ttl(skb)
        // The redirect quotes the packet as it is forwarded (TTL already decremented); not for
        // a source-routed one (opt->srr).
        if skb.doRedirect, !skb.sourceRouted { ip_rt_send_redirect(skb) }
        let out = skb.dst?.device.flatMap { host.interface(named: $0) }
        NF_HOOK(NFHookState(hook: .forward, indev: skb.dev, outdev: out, skb: skb)) { ip_forward_finish(skb) }
    }

    /// TTL minus one, checksum updated incrementally (ip_decrease_ttl, RFC 1624).
    func ip_decrease_ttl(_ skb: SKB) {
        let o = skb.networkOffset
        skb.frame[o + 8] -= 1
        var check = UInt32(skb.frame[o + 10]) << 8 | UInt32(skb.frame[o + 11])
        check += 0x0100
        check = (check & 0xffff) + (check >> 16)
        skb.frame[o + 10] = UInt8((check >> 8) & 0xff)
        skb.frame[o + 11] = UInt8(check & 0xff)
    }

    func ip_forward_finish(_ skb: SKB) {
        let f = trace.enter(.ip_forward_finish); defer { trace.leave(f) }
        let packet = skb.network
        if profile.countsIPOutAtOutput {
            counters.inc(.IpForwDatagrams)
            counters.inc(.IpExtOutOctets, by: packet.count)
        }
        let out = skb.dst?.device.flatMap { host.interface(named: $0) }
        trace.tailCall(from: f) {
            let g = trace.enter(.dst_output); defer { trace.leave(g) }
            trace.tailCall(from: g) {
                ip_output(OutputSKB(packet: packet, dev: out, nextHop: skb.dst?.gateway ?? skb.withIPv4 { $0.destination }, mtu: skb.dst?.mtu,
                                    fragList: skb.fragMaxSize.map { $0 <= skb.dst?.mtu ?? 1500 } ?? false, fragMaxSize: skb.fragMaxSize))
            }
        }
        handedOff(.forward, function: "ip_forward",
                  detail: "forwarded out \(out?.name ?? "?")" + (skb.dst?.gateway.map { " via \($0)" } ?? "") + ", TTL decremented")
    }
}
