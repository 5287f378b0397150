// net/core/neighbour.c and include/net/neighbour.h — modelled: 6.18 (checked: a REACHABLE or
// PERMANENT entry, a STALE one, and no entry: ARP request, packet queued), 5.4 (the seed notes'
// two transmit backtraces).
//
//   neigh_output ─ NUD_CONNECTED with a cached header → neigh_hh_output → dev_queue_xmit
//                └ else n->output = neigh_resolve_output → neigh_event_send
//                     STALE: → DELAY, sent now (a tail call of dev_queue_xmit)
//                     none / FAILED: → INCOMPLETE, queued on arp_queue, neigh_probe → arp_solicit
//                     INCOMPLETE: queued (the oldest dropped beyond unres_qlen_bytes)
// An ARP reply (arp_process → neigh_update → __neigh_update) sends what waited.
import HostModel
import Wire

/// NUD states as `ip neigh` prints them.
enum NUDState: String {
    case none = "NONE", incomplete = "INCOMPLETE", reachable = "REACHABLE", stale = "STALE", delay = "DELAY"
    case probe = "PROBE", failed = "FAILED", noarp = "NOARP", permanent = "PERMANENT"

    init(snapshot states: [String]) {
        self = states.lazy.compactMap { NUDState(rawValue: $0) }.first ?? .stale
    }

    /// NUD_CONNECTED: the cached hardware header is used as it is.
    var isConnected: Bool { self == .reachable || self == .noarp || self == .permanent }
    /// neigh_event_send sends at once in these (and in a connected state).
    var sendsAtOnce: Bool { isConnected || self == .delay || self == .probe }
}

struct NeighbourEntry {
    var mac: MACAddress?
    var state: NUDState
    /// arp_queue: packets waiting for the link address.
    var queue: [OutputSKB] = []
    /// hh.hh_len: the cached link header (neigh_hh_init), made by the first send through the
    /// entry (neigh_resolve_output); until then neigh_output takes n->output, not neigh_hh_output.
    var hhCached = false
}

/// struct neigh_table (arp_tbl for IPv4): the entries by device and protocol address, seeded
/// from the snapshot, updated by the protocol's own messages and by the host's sends.
final class NeighTable<Address: Hashable> {
    struct Key: Hashable {
        let device: String; let address: Address
        /// The address alone: a device's name hashed at every lookup (several a packet sent)
        /// cost more than the rest of the lookup; keys differing only by device are rare and
        /// still told apart by ==.
        func hash(into h: inout Hasher) { h.combine(address) }
    }
    var entries: [Key: NeighbourEntry] = [:]
    /// Entries made INCOMPLETE by a solicitation the capture shows the host sending: the packet
    /// waiting on them is in the capture (sent after the reply), not in the model's queue.
    var awaitingCapture: Set<Key> = []

    subscript(key: Key) -> NeighbourEntry? {
        get { entries[key] }
        set { entries[key] = newValue }
    }
}

typealias NeighbourKey = NeighTable<IPv4Address>.Key

extension Kernel {
    /// ip_neigh_for_gw → neigh_output. Broadcast next hops need no resolution (arp_constructor
    /// makes them NUD_NOARP with the broadcast address).
    func neigh_output(_ skb: OutputSKB, dev: Interface) {
        let f = trace.enter(.neigh_output); defer { trace.leave(f) }
        let key = NeighbourKey(device: dev.name, address: skb.nextHop)
        let noarp: MACAddress? = skb.broadcast || skb.nextHop.isLimitedBroadcast || dev.ipv4Addresses.contains(where: { $0.broadcast == skb.nextHop }) ? .broadcast
            // arp_constructor: a device without ARP (point-to-point, tun) needs no link address.
            : dev.isNoARP ? dev.mac ?? .zero
            // arp_mc_map → ip_eth_mc_map: 01:00:5e and the group's low 23 bits, NUD_NOARP.
            : skb.nextHop.isMulticast ? skb.nextHop.multicastMAC : nil
        if let noarp, arpTbl[key]?.state != .noarp || arpTbl[key]?.mac != noarp { arpTbl[key] = NeighbourEntry(mac: noarp, state: .noarp) }
        let entry = arpTbl[key]   // (__neigh_create makes no entry: __neigh_event_send does)
        if entry == nil { __neigh_create(key) }
        // 5.4 keeps the seed notes' backtraces, which show neigh_hh_output for every send.
        if let e = entry, e.state.isConnected, e.hhCached || profile.kernel == .v5_4, let mac = e.mac {
            let h = trace.enter(.neigh_hh_output); defer { trace.leave(h) }
            dev_queue_xmit(ethernetFrame(skb.packet, to: mac, dev: dev), dev: dev)
        } else {
            neigh_resolve_output(skb, key: key, dev: dev)
        }
    }

    /// __neigh_create → arp_constructor: the new entry's address type, by a local-table lookup
    /// (the entry itself starts as NUD_NONE, made by __neigh_event_send).
    func __neigh_create(_ key: NeighbourKey) {
        let f = trace.enter(.__neigh_create); defer { trace.leave(f) }
        let g = trace.enter(.arp_constructor); defer { trace.leave(g) }
        inet_addr_type(key.address)
    }

    func ethernetFrame(_ packet: [UInt8], to mac: MACAddress, dev: Interface) -> [UInt8] {
        EthernetHeader(destination: mac, source: dev.mac ?? .zero, etherType: .ipv4).emit(payload: packet)
    }

    /// n->output for an entry without a usable cached header.
    func neigh_resolve_output(_ skb: OutputSKB, key: NeighbourKey, dev: Interface) {
        let f = trace.enter(.neigh_resolve_output); defer { trace.leave(f) }
        guard !neigh_event_send(skb, key: key, dev: dev), let mac = arpTbl[key]?.mac else { return }
        if arpTbl[key]?.hhCached == false { arpTbl[key]?.hhCached = true }   // neigh_hh_init: Ethernet's header_ops cache
        // dev_hard_header, then `rc = dev_queue_xmit(skb); return rc;`: compiled as a jump.
        let frame = ethernetFrame(skb.packet, to: mac, dev: dev)
        trace.tailCall(from: f) { dev_queue_xmit(frame, dev: dev, reachedByJump: true) }
    }

    /// neigh_event_send: true when the packet is held back (queued or dropped).
    func neigh_event_send(_ skb: OutputSKB, key: NeighbourKey, dev: Interface) -> Bool {
        let f = trace.enter(.neigh_event_send); defer { trace.leave(f) }
        if let e = arpTbl[key], e.state.sendsAtOnce { return false }
        return __neigh_event_send(skb, key: key, dev: dev)
    }

    func __neigh_event_send(_ skb: OutputSKB, key: NeighbourKey, dev: Interface) -> Bool {
        let f = trace.enter(.__neigh_event_send); defer { trace.leave(f) }
        var e = arpTbl[key] ?? NeighbourEntry(mac: nil, state: .none)
        switch e.state {
        case .stale:
            e.state = .delay
            arpTbl[key] = e
            return false
        case .incomplete:
            enqueue(skb, on: &e)
            arpTbl[key] = e
            if ownPacket { handedOff(.queue, function: "__neigh_event_send", detail: "waits on the arp_queue of \(key.address) (INCOMPLETE: an ARP request is already out)") }
            return true
        default:
            let probes = (host.sysctls.int("net.ipv4.neigh.\(dev.name).mcast_solicit") ?? 3) + (host.sysctls.int("net.ipv4.neigh.\(dev.name).app_solicit") ?? 0)
            guard probes > 0 else {
                e.state = .failed
                arpTbl[key] = e
                if ownPacket {
                    kfree_skb_reason("NEIGH_FAILED", detail: "no link address for \(key.address) and no ARP probes allowed (mcast_solicit 0)")
                } else {
                    sideEnd("kfree_skb", reason: "NEIGH_FAILED")
                }
                return true
            }
            e.state = .incomplete
            enqueue(skb, on: &e)
            arpTbl[key] = e
            if ownPacket { handedOff(.queue, function: "__neigh_event_send", detail: "waits on the arp_queue of \(key.address) until its ARP reply (the entry is now INCOMPLETE)") }
            neigh_probe(skb, key: key, dev: dev)
            return true
        }
    }

    /// The packet being processed is the one an application sent (not a reply the host makes).
    var ownPacket: Bool { transmitting && emittingPacket == nil }

    /// Queues on arp_queue; beyond unres_qlen_bytes the oldest packets are dropped.
    func enqueue(_ skb: OutputSKB, on e: inout NeighbourEntry) {
        let limit = host.sysctls.int("net.ipv4.neigh.default.unres_qlen_bytes") ?? 212_992
        e.queue.append(skb)
        // truesize: the data rounded up plus the skb overhead (an estimate, as elsewhere).
        while e.queue.count > 1 && e.queue.reduce(0, { $0 + $1.packet.count + 768 }) > limit {
            e.queue.removeFirst()
            sideEnd("kfree_skb", reason: "NEIGH_QUEUEFULL")
        }
    }

    /// neigh_probe: solicit with a clone of the newest queued packet, then free the clone (a tail
    /// call of consume_skb: the kernel reports it at __neigh_event_send).
    func neigh_probe(_ skb: OutputSKB, key: NeighbourKey, dev: Interface) {
        let f = trace.enter(.neigh_probe); defer { trace.leave(f) }
        arp_solicit(skb, target: key.address, dev: dev)
        trace.tailCall(from: f) { sideEnd("consume_skb", reason: nil) }
    }

    /// __neigh_update (arp_process with a link address for an entry): a new valid state sends
    /// the packets that waited for it (n->output, now neigh_connected_output).
    func neigh_update(key: NeighbourKey, mac: MACAddress, state: NUDState, dev: Interface) {
        let f = trace.enter(.neigh_update); defer { trace.leave(f) }
        trace.tailCall(from: f) {
            let g = trace.enter(.__neigh_update); defer { trace.leave(g) }
            var e = arpTbl[key] ?? NeighbourEntry(mac: nil, state: .none)
            let waiting = e.queue
            e.mac = mac
            e.state = state
            e.queue = []
            arpTbl[key] = e
            for skb in waiting {
                emitting("a packet that waited for this address") {
                    let h = trace.enter(.neigh_connected_output); defer { trace.leave(h) }
                    let frame = ethernetFrame(skb.packet, to: mac, dev: dev)
                    trace.tailCall(from: h) { dev_queue_xmit(frame, dev: dev, reachedByJump: true) }
                }
            }
        }
    }
}
