// Live play (what tcpreplay's tcpliveplay does against a live server): a TCP conversation the
// capture shows is replayed against a kernel that picks its own initial sequence number and
// timestamp clock, so every segment injected for the peer is rewritten to acknowledge what the
// kernel really sent:
//
//   the host's ISN       captured SYN / SYN-ACK  ↔  the kernel's SYN / SYN-ACK   → ack, SACK blocks
//   the host's TSval     captured host segment   ↔  the kernel's matching one    → TS echo
//
// The host's side of the capture is the witness of what the host sent: a captured segment and a
// segment the kernel emitted are the same one when they have the same place in the sequence
// space (relative to each side's ISN), the same flags and the same length. The TS echo of a peer
// segment is mapped through the newest such pair at or before it. A conversation whose host ISN
// the capture does not show counts it as 0 (captures made for the model do).
//
// The rewriting works in place on Ethernet/IPv4/TCP bytes (offsets, not a parse and an emit:
// the segment must stay byte for byte what the capture holds, but for the fields mapped).
import Wire

final class LivePlay {
    /// One conversation, by the host's and the peer's address and port.
    struct Key: Hashable { var host: UInt32; var hostPort: UInt16; var peer: UInt32; var peerPort: UInt16 }

    /// What is known of one side's segment: its place relative to that side's ISN, its flags
    /// (SYN, FIN, RST), its length and its TSval.
    struct Sent {
        var relativeSeq: UInt32, flags: UInt8, length: Int, tsval: UInt32
        func isSameSegment(as o: Sent) -> Bool { relativeSeq == o.relativeSeq && flags == o.flags && length == o.length }
    }

    /// The host's side as one witness saw it: the capture, or the kernel's emitted frames.
    struct Side {
        var isn: UInt32?
        /// Segments the other witness has not shown yet (the newest `pending`).
        var unpaired: [Sent] = []
    }

    struct Conversation {
        var captured = Side(), kernel = Side()
        /// The capture opened it (the host's SYN or the peer's was seen).
        var opened = false
        /// (captured TSval, the kernel's) for segments both sides sent, in the order seen.
        var clock: [(captured: UInt32, kernel: UInt32)] = []

        var shift: UInt32 { (kernel.isn ?? 0) &- (captured.isn ?? 0) }
        subscript(kernel k: Bool) -> Side {
            get { k ? kernel : captured }
            set { if k { kernel = newValue } else { captured = newValue } }
        }
    }

    private(set) var conversations: [Key: Conversation] = [:]
    private static let pending = 64, pairs = 1_024

    /// A segment the capture shows the host sending (an Ethernet frame).
    func captured(host frame: [UInt8]) { note(frame, kernel: false) }

    /// A frame the kernel put on a wire.
    func emitted(_ frame: [UInt8]) { note(frame, kernel: true) }

    /// One witness's segment of the host's: its ISN learned from a SYN; paired with the other
    /// witness's copy of it when that has been seen, else kept until it is.
    private func note(_ frame: [UInt8], kernel: Bool) {
        guard let s = Segment(frame) else { return }
        let key = Key(host: s.source, hostPort: s.sourcePort, peer: s.destination, peerPort: s.destinationPort)
        var c = conversations[key] ?? Conversation()
        if s.flags & 0x02 != 0 {
            c[kernel: kernel].isn = s.seq
            if !kernel { c.opened = true }
        }
        if let ts = s.tsval {
            let sent = Sent(relativeSeq: s.seq &- (c[kernel: kernel].isn ?? 0), flags: s.flags & 0x07, length: s.payloadLength, tsval: ts)
            if let i = c[kernel: !kernel].unpaired.firstIndex(where: { $0.isSameSegment(as: sent) }) {
                let other = c[kernel: !kernel].unpaired.remove(at: i).tsval
                c.clock.append(kernel ? (other, ts) : (ts, other))
                if c.clock.count > Self.pairs { c.clock.removeFirst(c.clock.count - Self.pairs) }
            } else {
                c[kernel: kernel].unpaired.append(sent)
                if c[kernel: kernel].unpaired.count > Self.pending { c[kernel: kernel].unpaired.removeFirst() }
            }
        }
        conversations[key] = c
    }

    /// A peer's SYN opens a conversation the capture shows from its start.
    func peerSent(_ frame: [UInt8]) {
        guard let s = Segment(frame), s.flags & 0x02 != 0 else { return }
        let key = Key(host: s.destination, hostPort: s.destinationPort, peer: s.source, peerPort: s.sourcePort)
        conversations[key, default: Conversation()].opened = true
    }

    /// Whether the capture shows this peer segment's conversation from its handshake.
    func isOpened(peer frame: [UInt8]) -> Bool? {
        guard let s = Segment(frame) else { return nil }
        return conversations[Key(host: s.destination, hostPort: s.destinationPort, peer: s.source, peerPort: s.sourcePort)]?.opened ?? false
    }

    /// The peer's segment as the kernel must see it: its ack, SACK blocks and TS echo in the
    /// kernel's sequence space and clock, its checksum recomputed. Anything else is unchanged.
    func rewrite(peer frame: [UInt8]) -> [UInt8] {
        guard let s = Segment(frame) else { return frame }
        let key = Key(host: s.destination, hostPort: s.destinationPort, peer: s.source, peerPort: s.sourcePort)
        guard let c = conversations[key], c.kernel.isn != nil else { return frame }
        var f = frame
        let shift = c.shift
        if s.flags & 0x10 != 0 { Self.put(&f, s.tcp + 8, s.ack &+ shift) }
        for o in s.options {
            switch f[o] {
            case 5 where o + 1 < f.count:
                // SACK: left and right edges of each block, in the host's sequence space.
                var b = o + 2
                while b + 8 <= o + Int(f[o + 1]) && b + 8 <= f.count {
                    Self.put(&f, b, Self.get(f, b) &+ shift)
                    Self.put(&f, b + 4, Self.get(f, b + 4) &+ shift)
                    b += 8
                }
            case 8 where o + 10 <= f.count:
                let echo = Self.get(f, o + 6)
                if echo != 0, let k = Self.kernelClock(c, echo) { Self.put(&f, o + 6, k) }
            default: break
            }
        }
        if s.v6 { InternetChecksum.refillTransport6(&f, ip: 14) } else { InternetChecksum.refillTransport(&f, ip: 14) }
        return f
    }

    /// The kernel's TSval for a captured one: through the newest pair at or before it (an echo
    /// of a value the host sent maps exactly; one it never sent keeps its distance, so an echo
    /// from the future stays one and PAWS still sees it).
    static func kernelClock(_ c: Conversation, _ captured: UInt32) -> UInt32? {
        guard let p = c.clock.last(where: { !seqAfter($0.captured, captured) }) ?? c.clock.first else { return nil }
        return p.kernel &+ (captured &- p.captured)
    }

    static func get(_ f: [UInt8], _ o: Int) -> UInt32 {
        UInt32(f[o]) << 24 | UInt32(f[o + 1]) << 16 | UInt32(f[o + 2]) << 8 | UInt32(f[o + 3])
    }

    static func put(_ f: inout [UInt8], _ o: Int, _ v: UInt32) {
        f[o] = UInt8(v >> 24); f[o + 1] = UInt8((v >> 16) & 0xff); f[o + 2] = UInt8((v >> 8) & 0xff); f[o + 3] = UInt8(v & 0xff)
    }
}

/// Offsets into an Ethernet/IPv4/TCP frame, checked once (a non-fragment with a whole header).
struct Segment {
    let tcp: Int
    /// IPv4's addresses; an IPv6 segment's are folded to 32 bits (a conversation's key only).
    let source: UInt32, destination: UInt32
    let v6: Bool
    let sourcePort: UInt16, destinationPort: UInt16
    let seq: UInt32, ack: UInt32
    let flags: UInt8
    let payloadLength: Int
    /// Offsets of each option's kind byte.
    let options: [Int]
    let tsval: UInt32?

    init?(_ f: [UInt8]) {
        let end: Int
        if f.count >= 74, f[12] == 0x86, f[13] == 0xdd, f[14] >> 4 == 6, f[20] == 6 {
            // IPv6 without extension headers.
            v6 = true
            tcp = 54
            end = min(f.count, 54 + (Int(f[18]) << 8 | Int(f[19])))
            func fold(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 ^ LivePlay.get(f, at + 4 * $1) } }
            source = fold(22); destination = fold(38)
        } else {
            guard f.count >= 54, f[12] == 0x08, f[13] == 0x00, f[14] >> 4 == 4, f[23] == 6,
                  Int(f[20] & 0x1f) << 8 | Int(f[21]) == 0 else { return nil }
            v6 = false
            let ihl = Int(f[14] & 0x0f) * 4
            let total = Int(f[16]) << 8 | Int(f[17])
            tcp = 14 + ihl
            end = min(f.count, 14 + total)
            guard ihl >= 20 else { return nil }
            source = LivePlay.get(f, 26); destination = LivePlay.get(f, 30)
        }
        guard end >= tcp + 20 else { return nil }
        let doff = Int(f[tcp + 12] >> 4) * 4
        guard doff >= 20, tcp + doff <= end else { return nil }
        sourcePort = UInt16(f[tcp]) << 8 | UInt16(f[tcp + 1])
        destinationPort = UInt16(f[tcp + 2]) << 8 | UInt16(f[tcp + 3])
        seq = LivePlay.get(f, tcp + 4); ack = LivePlay.get(f, tcp + 8)
        flags = f[tcp + 13]
        payloadLength = end - tcp - doff
        var opts: [Int] = [], ts: UInt32? = nil
        var o = tcp + 20
        while o < tcp + doff {
            if f[o] == 0 { break }
            if f[o] == 1 { o += 1; continue }
            guard o + 1 < tcp + doff, f[o + 1] >= 2 else { break }
            opts.append(o)
            if f[o] == 8, o + 10 <= tcp + doff { ts = LivePlay.get(f, o + 2) }
            o += Int(f[o + 1])
        }
        options = opts
        tsval = ts
    }
}
