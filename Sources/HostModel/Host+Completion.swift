// `--host DIR --infer`: a snapshot completed from the capture where it is silent. The snapshot
// stays authoritative for everything it says (a stale route or an unexpected sysctl is left
// for the witness to report); what it does not say — a listener, a socket, a neighbour, a route
// for an address the host sends to — is taken from the host inferred from the same capture,
// each addition with a note.
import Wire

extension Host {
    /// This host with what `inferred` (from the capture) adds where this one is silent.
    /// Interfaces are matched by MAC, else by index, else by name; additions on interfaces
    /// that match none are left out.
    public func completed(from inferred: Host) -> (Host, [String]) {
        var out = self
        var notes: [String] = []
        func local(_ i: Interface?) -> Interface? {
            guard let i else { return nil }
            if let m = i.mac, m != .zero, let l = interface(mac: m) { return l }
            if let l = interface(index: i.index), !l.isLoopback { return l }
            return interface(named: i.name)
        }
        for s in inferred.sockets where !sockets.contains(where: { t in
            t.protocolKind == s.protocolKind && t.localPort == s.localPort && (t.state == s.state || s.state != "ESTAB")
                && (s.state != "ESTAB" || (t.remoteAddress == s.remoteAddress && t.remotePort == s.remotePort))
        }) {
            out.sockets.append(s)
            notes.append("+ socket \(s.protocolKind.rawValue) \(s.localAddress?.description ?? "*"):\(s.localPort) \(s.state)"
                         + (s.remoteAddress.map { " with \($0):\(s.remotePort ?? 0)" } ?? "") + " (the capture shows it)")
        }
        for n in inferred.neighbours where n.mac != MACAddress(0x02, 0, 0, 0, 0, 0) {
            guard let dev = local(inferred.interface(named: n.device)), !neighbours.contains(where: { $0.address == n.address && $0.device == dev.name }) else { continue }
            out.neighbours.append(Neighbour(address: n.address, device: dev.name, mac: n.mac, states: n.states))
            notes.append("+ neighbour \(n.address) \(n.mac?.description ?? "") dev \(dev.name) (the capture shows it in use)")
        }
        // A route only where this host has none for the destination (in its main table).
        func covered(_ p: IPPrefix) -> Bool {
            routes.contains { r in r.table == .main && r.type == .unicast && r.destination.isV4 && r.destination.length <= p.length
                && IPPrefix(address: p.address, length: r.destination.length).network == r.destination.network }
        }
        for r in inferred.routes where r.table == .main && r.type == .unicast && r.destination.isV4 && !covered(r.destination) {
            guard let dev = local(r.device.flatMap { inferred.interface(named: $0) }) else { continue }
            var route = Route(table: .main, type: .unicast, destination: r.destination, gateway: r.gateway, device: dev.name,
                              scope: r.scope, protocolName: "boot")
            route.mtu = r.mtu
            out.routes.append(route)
            notes.append("+ route \(r.destination)" + (r.gateway.map { " via \($0)" } ?? "") + " dev \(dev.name) (the host sends there; the snapshot has no route for it)")
        }
        return (out, notes)
    }
}
