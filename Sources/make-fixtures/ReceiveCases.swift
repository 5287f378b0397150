// The receive-path cases (issue 3): one small capture per outcome, addressed to the host of
// Fixtures/hosts/netns-h (eth0 02:00:00:00:00:01 10.1.0.2/24, peer 10.1.0.1 at 02:00:00:00:00:fe;
// eth1 10.2.0.2/24 MTU 1400, peer 10.2.0.1; forwarding on; rp_filter strict on eth0; UDP 5353 and
// TCP 10.1.0.2:80 open). `forward-off` is for Fixtures/hosts/netns-h-noforward.
import Capture
import Foundation
import Wire

/// One small capture: its file name and its frames (Ethernet).
struct CaptureCase {
    let name: String
    let frames: [[UInt8]]
    /// How far apart the frames are: 1 ms, or 10 µs for a burst (`tracer verify` injects frames
    /// under 0.5 ms apart back to back).
    var spacingNanoseconds: Int64 = 1_000_000
}

typealias ReceiveCase = CaptureCase

/// Writes each case to DIR/NAME.pcap, frames 1 ms (or the case's spacing) apart from `start` seconds.
func writeCases(_ cases: [CaptureCase], to dir: String, start: Int64) throws {
    for c in cases {
        let w = try CaptureWriter(path: "\(dir)/\(c.name).pcap", linkType: .ethernet)
        for (i, f) in c.frames.enumerated() {
            w.write(f, timestamp: Timestamp(seconds: start, nanoseconds: Int64(i) * c.spacingNanoseconds))
        }
        try w.close()
    }
}

func receiveCases() -> [ReceiveCase] {
    let h = IPv4Address(10, 1, 0, 2), p = IPv4Address(10, 1, 0, 1)
    let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01), peerMAC = MACAddress(0x02, 0, 0, 0, 0, 0xfe)
    let data = Array("hello kernel".utf8)

    func eth(_ ip: [UInt8], to: MACAddress = hostMAC, type: EtherType = .ipv4) -> [UInt8] {
        EthernetHeader(destination: to, source: peerMAC, etherType: type).emit(payload: ip)
    }
    func udp(_ src: IPv4Address = p, dst: IPv4Address = h, dport: UInt16, ttl: UInt8 = 64, ident: UInt16 = 0x1001,
             payload: [UInt8] = data, df: Bool = true, edit: (inout IPv4Header, inout UDPHeader) -> Void = { _, _ in }) -> [UInt8] {
        var ip = IPv4Header(source: src, destination: dst, protocol: .udp, ttl: ttl, ident: ident, dontFrag: df)
        var u = UDPHeader(sourcePort: 40000, destinationPort: dport)
        edit(&ip, &u)
        return ip.emit(payload: u.emit(payload: payload, pseudoHeader: ip.pseudoHeaderSum))
    }
    /// The checksum field a local sender leaves for the device (CHECKSUM_PARTIAL): the folded
    /// pseudo-header sum, as a capture on a veth peer shows it.
    func pseudoOnly(_ ip: IPv4Header, length: Int) -> UInt16 { ~InternetChecksum.finish(ip.pseudoHeaderSum(length: length)) }
    func syn(dport: UInt16, partial: Bool = false) -> [UInt8] {
        let ip = IPv4Header(source: p, destination: h, protocol: .tcp, ident: 0x2001)
        var t = TCPHeader(sourcePort: 40001, destinationPort: dport, sequenceNumber: 1000, flags: .syn, window: 64240,
                          options: [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 1, echo: 0), .noOperation, .windowScale(7)])
        if partial { t.checksumOverride = pseudoOnly(ip, length: 40) }
        return ip.emit(payload: t.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum))
    }
    /// A segment from the peer's port 40002 to :80; `ack` counts from the host's ISN, which the
    /// model takes as 0 (the oracle shifts it by the kernel's real ISN).
    func seg(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, payload: [UInt8] = [], ident: UInt16) -> [UInt8] {
        let ip = IPv4Header(source: p, destination: h, protocol: .tcp, ident: ident)
        let t = TCPHeader(sourcePort: 40002, destinationPort: 80, sequenceNumber: seq, ackNumber: ack, flags: flags, window: 502,
                          options: flags.contains(.syn) ? [.maxSegmentSize(1460), .sackPermitted, .noOperation, .windowScale(7)] : [])
        return ip.emit(payload: t.emit(payload: payload, pseudoHeader: ip.pseudoHeaderSum))
    }
    func arp(target: IPv4Address) -> [UInt8] {
        eth(ARPHeader(operation: .request, senderHardwareAddress: peerMAC, senderProtocolAddress: p,
                      targetHardwareAddress: .zero, targetProtocolAddress: target).emit(), to: .broadcast, type: .arp)
    }

    let echo: [UInt8] = {
        let ip = IPv4Header(source: p, destination: h, protocol: .icmp, ident: 0x3001)
        return ip.emit(payload: ICMPv4Header.echoRequest(ident: 7, sequence: 1).emit(body: (0..<56).map { UInt8($0) }))
    }()
    /// An ICMP timestamp request (type 13): identifier, sequence, then originate, receive and
    /// transmit times (ms since midnight UT); the sender fills only the first.
    func timestamp(data: [UInt8]) -> [UInt8] {
        let ip = IPv4Header(source: p, destination: h, protocol: .icmp, ident: 0x3101)
        return ip.emit(payload: ICMPv4Header(type: 13, code: 0, restOfHeader: 0x0009_0001).emit(body: data))
    }
    /// An IGMP message (type, max response time, group) from the peer, TTL 1 as IGMP is sent.
    func igmp(type: UInt8, code: UInt8, group: IPv4Address, to dst: IPv4Address) -> [UInt8] {
        var m: [UInt8] = [type, code, 0, 0] + group.bytes
        let c = m.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.sum($0)) }
        m[2] = UInt8(c >> 8); m[3] = UInt8(c & 0xff)
        return IPv4Header(source: p, destination: dst, protocol: .igmp, ttl: 1, tos: 0xc0, ident: 0x3201, dontFrag: false).emit(payload: m)
    }
    let joined = IPv4Address(239, 1, 1, 1), unjoined = IPv4Address(239, 2, 2, 2)
    let unknownProtocol: [UInt8] = IPv4Header(source: p, destination: h, protocol: .unknown(253), ident: 0x4001).emit(payload: data)

    return [
        ReceiveCase(name: "udp-delivered", frames: [eth(udp(dport: 5353))]),
        ReceiveCase(name: "udp-closed-port", frames: [eth(udp(dport: 5354))]),
        ReceiveCase(name: "udp-bad-checksum", frames: [eth(udp(dport: 5353) { _, u in u.checksumOverride = 0x1234 })]),
        // Sent by a local stack through veth: the checksum left to the device, trusted (CHECKSUM_PARTIAL).
        ReceiveCase(name: "udp-checksum-partial", frames: [eth(udp(dport: 5353) { ip, u in u.checksumOverride = pseudoOnly(ip, length: 8 + data.count) }),
                                                           eth(udp(dport: 5354) { ip, u in u.checksumOverride = pseudoOnly(ip, length: 8 + data.count) })]),
        ReceiveCase(name: "tcp-syn-checksum-partial", frames: [eth(syn(dport: 80, partial: true))]),
        ReceiveCase(name: "tcp-syn-listener", frames: [eth(syn(dport: 80))]),
        ReceiveCase(name: "tcp-syn-closed-port", frames: [eth(syn(dport: 81))]),
        ReceiveCase(name: "icmp-echo", frames: [eth(echo)]),
        ReceiveCase(name: "icmp-timestamp", frames: [eth(timestamp(data: [0x02, 0x93, 0x2e, 0x00] + [UInt8](repeating: 0, count: 8)))]),
        ReceiveCase(name: "icmp-timestamp-short", frames: [eth(timestamp(data: [0x02, 0x93]))]),
        ReceiveCase(name: "tcp-handshake-data-fin", frames: [
            eth(seg(.syn, seq: 5000, ident: 0x2101)),
            eth(seg(.ack, seq: 5001, ack: 1, ident: 0x2102)),
            eth(seg([.psh, .ack], seq: 5001, ack: 1, payload: Array("GET / HTTP/1.0\r\n\r\n".utf8), ident: 0x2103)),
            eth(seg([.fin, .ack], seq: 5019, ack: 1, ident: 0x2104)),
        ]),
        // Segments a request socket (SYN_RECV) gets, each after the SYN that made it (seq 6000):
        // the exact RST (tcp_check_req's embryonic reset), an in-window RST that is not exact (a
        // challenge ACK), one out of the window (ignored), the SYN again (the SYN-ACK again), and
        // a new SYN inside the window (a RST, the request dropped), and an ACK that does not
        // acknowledge the SYN-ACK (the listener answers it with a RST).
        ReceiveCase(name: "tcp-syn-then-rst", frames: [eth(seg(.syn, seq: 6000, ident: 0x2301)), eth(seg(.rst, seq: 6001, ident: 0x2302))]),
        ReceiveCase(name: "tcp-syn-then-rst-in-window", frames: [eth(seg(.syn, seq: 6000, ident: 0x2311)), eth(seg(.rst, seq: 6101, ident: 0x2312))]),
        ReceiveCase(name: "tcp-syn-then-rst-out-of-window", frames: [eth(seg(.syn, seq: 6000, ident: 0x2321)), eth(seg(.rst, seq: 6001 &+ 200_000, ident: 0x2322))]),
        ReceiveCase(name: "tcp-syn-retransmitted", frames: [eth(seg(.syn, seq: 6000, ident: 0x2331)), eth(seg(.syn, seq: 6000, ident: 0x2332))]),
        ReceiveCase(name: "tcp-syn-then-new-syn", frames: [eth(seg(.syn, seq: 6000, ident: 0x2351)), eth(seg(.syn, seq: 6050, ident: 0x2352))]),
        ReceiveCase(name: "tcp-syn-then-bad-ack", frames: [eth(seg(.syn, seq: 6000, ident: 0x2341)), eth(seg(.ack, seq: 6001, ack: 777, ident: 0x2342))]),
        ReceiveCase(name: "tcp-ack-to-listener", frames: [eth(seg(.ack, seq: 7000, ack: 12345, ident: 0x2201))]),
        ReceiveCase(name: "ip-bad-checksum", frames: [eth(udp(dport: 5353) { ip, _ in ip.checksumOverride = 0xbeef })]),
        ReceiveCase(name: "ip-bad-ihl", frames: [eth(udp(dport: 5353) { ip, _ in ip.ihlOverride = 4 })]),
        ReceiveCase(name: "ip-bad-version", frames: [eth(udp(dport: 5353) { ip, _ in ip.versionOverride = 5 })]),
        ReceiveCase(name: "ip-total-length-beyond-frame", frames: [eth(udp(dport: 5353) { ip, _ in ip.totalLengthOverride = 1000 })]),
        ReceiveCase(name: "other-host-mac", frames: [eth(udp(dport: 5353), to: MACAddress(0x02, 0, 0, 0, 0, 0x77))]),
        ReceiveCase(name: "unknown-protocol", frames: [eth(unknownProtocol)]),
        ReceiveCase(name: "forward", frames: [eth(udp(dst: IPv4Address(10, 2, 0, 1), dport: 5353))]),
        ReceiveCase(name: "forward-off", frames: [eth(udp(dst: IPv4Address(10, 2, 0, 1), dport: 5353))]),
        // Back out eth0, the way it came, to the default gateway on the sender's own subnet: an
        // ICMP host redirect (gateway 10.1.0.1) goes to the sender, and the packet is forwarded.
        ReceiveCase(name: "forward-redirect", frames: [eth(udp(dst: IPv4Address(192, 0, 2, 7), dport: 5353))]),
        // The same with send_redirects off (Fixtures/hosts/netns-h-noredirect): forwarded only.
        ReceiveCase(name: "forward-redirect-off", frames: [eth(udp(dst: IPv4Address(192, 0, 2, 7), dport: 5353))]),
        // Unicast IP in a link-layer broadcast and multicast frame: accepted (netns-h), and
        // dropped where drop_unicast_in_l2_multicast is on (-drop: Fixtures/hosts/netns-h-l2drop).
        ReceiveCase(name: "unicast-in-l2-broadcast", frames: [eth(udp(dport: 5353), to: .broadcast)]),
        ReceiveCase(name: "unicast-in-l2-multicast", frames: [eth(udp(dport: 5353), to: MACAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb))]),
        ReceiveCase(name: "unicast-in-l2-broadcast-drop", frames: [eth(udp(dport: 5353), to: .broadcast)]),
        ReceiveCase(name: "unicast-in-l2-multicast-drop", frames: [eth(udp(dport: 5353), to: MACAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb))]),
        // Multicast, on Fixtures/hosts/netns-h-mcast (239.1.1.1 joined on eth0, UDP 5000 open):
        // to the joined group (twice: the second finds the socket's cached route), to a group not
        // joined, to the joined group on a port with no socket; another host's IGMP report.
        ReceiveCase(name: "mcast-joined", frames: [eth(udp(dst: joined, dport: 5000, ttl: 1), to: joined.multicastMAC),
                                                   eth(udp(dst: joined, dport: 5000, ttl: 1, ident: 0x1002), to: joined.multicastMAC)]),
        ReceiveCase(name: "mcast-unjoined", frames: [eth(udp(dst: unjoined, dport: 5000, ttl: 1), to: unjoined.multicastMAC)]),
        ReceiveCase(name: "mcast-joined-no-socket", frames: [eth(udp(dst: joined, dport: 5001, ttl: 1), to: joined.multicastMAC)]),
        ReceiveCase(name: "igmp-report-other", frames: [eth(igmp(type: 0x16, code: 0, group: joined, to: joined), to: joined.multicastMAC)]),
        // An IGMPv2 general query (max response 10 s) on netns-h, which has no group to report.
        ReceiveCase(name: "igmp-query", frames: [eth(igmp(type: 0x11, code: 100, group: .any, to: .allHosts), to: IPv4Address.allHosts.multicastMAC)]),
        ReceiveCase(name: "forward-ttl-1", frames: [eth(udp(dst: IPv4Address(10, 2, 0, 1), dport: 5353, ttl: 1))]),
        ReceiveCase(name: "forward-df-too-big", frames: [eth(udp(dst: IPv4Address(10, 2, 0, 1), dport: 5353,
                                                                 payload: [UInt8](repeating: 0x5a, count: 1422)))]),
        ReceiveCase(name: "route-blackhole", frames: [eth(udp(dst: IPv4Address(10, 66, 0, 1), dport: 5353))]),
        ReceiveCase(name: "route-unreachable", frames: [eth(udp(dst: IPv4Address(10, 67, 0, 1), dport: 5353))]),
        ReceiveCase(name: "route-prohibit", frames: [eth(udp(dst: IPv4Address(10, 68, 0, 1), dport: 5353))]),
        ReceiveCase(name: "policy-rule-table-100", frames: [eth(udp(dst: IPv4Address(10, 70, 0, 5), dport: 5353))]),
        ReceiveCase(name: "rp-filter-spoofed-source", frames: [eth(udp(IPv4Address(10, 2, 0, 99), dport: 5353))]),
        ReceiveCase(name: "martian-source", frames: [eth(udp(IPv4Address(127, 0, 0, 1), dport: 5353))]),
        ReceiveCase(name: "broadcast", frames: [eth(udp(dst: IPv4Address(10, 1, 0, 255), dport: 5353), to: .broadcast),
                                                eth(udp(dst: IPv4Address(10, 1, 0, 255), dport: 5354), to: .broadcast)]),
        ReceiveCase(name: "ip-option-malformed", frames: [eth(udp(dport: 5353) { ip, _ in ip.options = [IPv4Option.recordRoute, 40, 4, 0] })]),
        ReceiveCase(name: "ip-option-record-route", frames: [eth(udp(dport: 5353) { ip, _ in
            ip.options = IPv4Option.emit([IPv4Option(type: IPv4Option.recordRoute, data: [4] + [UInt8](repeating: 0, count: 8))])
        })]),
        ReceiveCase(name: "ip-option-source-route", frames: [eth(udp(dport: 5353) { ip, _ in
            ip.options = IPv4Option.emit([IPv4Option(type: IPv4Option.looseSourceRoute, data: [4] + IPv4Address(10, 2, 0, 1).bytes)])
        })]),
        // Bursts, 10 µs apart. A socket that never reads (Fixtures/hosts/netns-h-rcvbuf: UDP 5000
        // with SO_RCVBUF 4000, sk_rcvbuf 8000, and a Recv-Q) takes 1000- and 100-byte datagrams
        // (truesize 2304 and 832 over veth) until the next would not fit; the same socket read
        // by its application (netns-h-rcvbuf-read) and netns-h's 5353 take them all; a closed port answers the first six with port
        // unreachable and the rest not (inet_peer_xrlim_allow's burst of 6, one per second).
        ReceiveCase(name: "udp-rcvbuf-full", frames: (0..<10).map { i in
            eth(udp(dport: 5000, ident: 0x3000 + UInt16(i), payload: [UInt8](repeating: 0x61, count: i % 2 == 0 ? 1000 : 100)))
        }, spacingNanoseconds: 10_000),
        ReceiveCase(name: "udp-rcvbuf-read", frames: (0..<10).map { i in
            eth(udp(dport: 5000, ident: 0x3000 + UInt16(i), payload: [UInt8](repeating: 0x61, count: i % 2 == 0 ? 1000 : 100)))
        }, spacingNanoseconds: 10_000),
        ReceiveCase(name: "udp-burst-read", frames: (0..<10).map { i in
            eth(udp(dport: 5353, ident: 0x3100 + UInt16(i), payload: [UInt8](repeating: 0x62, count: i % 2 == 0 ? 1000 : 100)))
        }, spacingNanoseconds: 10_000),
        ReceiveCase(name: "icmp-ratelimit-burst", frames: (0..<10).map { i in
            eth(udp(dport: 7777, ident: 0x3200 + UInt16(i)))
        }, spacingNanoseconds: 10_000),
        ReceiveCase(name: "arp-request-for-us", frames: [arp(target: h)]),
        ReceiveCase(name: "arp-request-for-other", frames: [arp(target: IPv4Address(10, 1, 0, 99))]),
        // For netns-h-rps (eth0 steers: rps_cpus 1): the same packets, taken up from the backlog.
        ReceiveCase(name: "rps-udp-delivered", frames: [eth(udp(dport: 5353))]),
        ReceiveCase(name: "rps-udp-closed-port", frames: [eth(udp(dport: 5354))]),
        ReceiveCase(name: "rps-tcp-syn-listener", frames: [eth(syn(dport: 80))]),
        ReceiveCase(name: "rps-arp-request-for-us", frames: [arp(target: h)]),
    ]
}

/// 40 datagrams 100 ns apart (10 Mpps) to netns-h's 5353, for a host whose backlog holds 8
/// (Fixtures/hosts/netns-h-backlog): at 1 µs a packet the softirq falls behind, and
/// enqueue_to_backlog drops (CPU_BACKLOG) what finds more than 8 queued. Written beside the real
/// captures, not in Fixtures/rx: it cannot be checked live (from user space a veth's frames are
/// processed as each is sent, by the sender's own softirq, so no backlog builds).
func writeBacklogBurst(to dir: String) throws {
    let h = IPv4Address(10, 1, 0, 2), p = IPv4Address(10, 1, 0, 1)
    let frames = (0..<40).map { i -> [UInt8] in
        let ip = IPv4Header(source: p, destination: h, protocol: .udp, ident: 0x3300 + UInt16(i), dontFrag: true)
        let udp = UDPHeader(sourcePort: 40000, destinationPort: 5353).emit(payload: [UInt8](repeating: 0x63, count: 64), pseudoHeader: ip.pseudoHeaderSum)
        return EthernetHeader(destination: MACAddress(0x02, 0, 0, 0, 0, 0x01), source: MACAddress(0x02, 0, 0, 0, 0, 0xfe), etherType: .ipv4)
            .emit(payload: ip.emit(payload: udp))
    }
    try writeCases([CaptureCase(name: "backlog-burst", frames: frames, spacingNanoseconds: 100)], to: dir, start: 1_700_000_100)
}

func writeReceiveCases(to dir: String) throws {
    try writeCases(receiveCases(), to: dir, start: 1_700_000_100)
    try "netns-h-noforward\n".write(toFile: "\(dir)/forward-off.host", atomically: true, encoding: .utf8)
    try "netns-h-noredirect\n".write(toFile: "\(dir)/forward-redirect-off.host", atomically: true, encoding: .utf8)
    for name in ["mcast-joined", "mcast-unjoined", "mcast-joined-no-socket", "igmp-report-other"] {
        try "netns-h-mcast\n".write(toFile: "\(dir)/\(name).host", atomically: true, encoding: .utf8)
    }
    for name in ["rps-udp-delivered", "rps-udp-closed-port", "rps-tcp-syn-listener", "rps-arp-request-for-us"] {
        try "netns-h-rps\n".write(toFile: "\(dir)/\(name).host", atomically: true, encoding: .utf8)
    }
    try "netns-h-rcvbuf\n".write(toFile: "\(dir)/udp-rcvbuf-full.host", atomically: true, encoding: .utf8)
    try "netns-h-rcvbuf-read\n".write(toFile: "\(dir)/udp-rcvbuf-read.host", atomically: true, encoding: .utf8)
    for name in ["unicast-in-l2-broadcast-drop", "unicast-in-l2-multicast-drop"] {
        try "netns-h-l2drop\n".write(toFile: "\(dir)/\(name).host", atomically: true, encoding: .utf8)
    }
    print("wrote \(receiveCases().count) receive-path cases to \(dir)")
}
