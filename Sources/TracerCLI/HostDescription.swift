// The host model as text, in the manner of `ip addr`, `ip route`, `ip rule`, `ss`.
import HostModel
import Wire

enum HostDescription {
    static func lines(_ h: Host) -> [String] {
        var out = ["host \(h.origin)", "interfaces:"]
        for i in h.interfaces {
            var l = "  \(i.index): \(i.name) mtu \(i.mtu) \(i.isUp ? "up" : "down")"
            if let mac = i.mac { l += " link \(mac)" }
            if let d = i.driver { l += " driver \(d)" }
            if i.isPromiscuous { l += " promisc" }
            if let m = i.rpsCPUs { l += " rps_cpus \(m)" }
            out.append(l)
            for a in i.addresses {
                out.append("      \(a.address.isV4 ? "inet" : "inet6") \(a.address)/\(a.prefixLength) scope \(a.scope)")
            }
        }
        out.append("routes:")
        for r in h.routes {
            var l = "  table \(r.table) \(r.type.rawValue) \(r.destination)"
            if let g = r.gateway { l += " via \(g)" }
            if let d = r.device { l += " dev \(d)" }
            l += " scope \(r.scope)"
            if let s = r.preferredSource { l += " src \(s)" }
            if r.metric != 0 { l += " metric \(r.metric)" }
            if let m = r.mtu { l += " mtu \(m)" }
            out.append(l)
        }
        out.append("rules:")
        for r in h.rules {
            var l = "  \(r.isV4 ? "" : "inet6 ")\(r.priority):"
            if r.invert { l += " not" }
            l += " from \(r.source?.description ?? "all")"
            if let d = r.destination { l += " to \(d)" }
            if let i = r.inputInterface { l += " iif \(i)" }
            if let o = r.outputInterface { l += " oif \(o)" }
            if let m = r.fwmark { l += " fwmark 0x\(String(m, radix: 16))" + (r.fwmask.map { "/0x\(String($0, radix: 16))" } ?? "") }
            if let p = r.ipProtocol { l += " ipproto \(p)" }
            if let p = r.destinationPorts { l += " dport \(p.lowerBound == p.upperBound ? "\(p.lowerBound)" : "\(p.lowerBound)-\(p.upperBound)")" }
            l += " \(r.action)"
            out.append(l)
        }
        out.append("neighbours:")
        for n in h.neighbours {
            out.append("  \(n.address) dev \(n.device)" + (n.mac.map { " lladdr \($0)" } ?? "") + " " + n.states.joined(separator: ","))
        }
        out.append("sockets:")
        for s in h.sockets {
            let local = (s.localAddress?.description ?? "*") + (s.boundDevice.map { "%\($0)" } ?? "")
            let remote = (s.remoteAddress?.description ?? "*") + ":" + (s.remotePort.map(String.init) ?? "*")
            out.append("  \(s.protocolKind.rawValue) \(s.state) \(local):\(s.localPort) \(remote)")
        }
        let set = ["net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter"].map { "\($0)=\(h.sysctls[$0] ?? "?")" }
        out.append("sysctls: \(h.sysctls.values.count) from the snapshot; " + set.joined(separator: " "))
        out.append("nftables: " + (h.nftablesJSON == nil ? "none" : "\(h.nftablesJSON!.utf8.count) bytes of nft -j"))
        return out
    }
}
