// The transmit-path cases (issue 4): captures of what the host of Fixtures/hosts/netns-h sends
// (eth0 02:00:00:00:00:01 10.1.0.2/24, gateway 10.1.0.1 at 02:00:00:00:00:fe; eth1 MTU 1400;
// 10.9.0.0/16 with route MTU 1280; 10.70.0.0/16 policy-routed to eth1; blackhole 10.66/16,
// unreachable 10.67/16, prohibit 10.68/16). `tracer replay --tx` explains each as an
// application's send. `udp-no-route` is for Fixtures/hosts/netns-h-nodefault (no default route);
// `seed-udp` for the embedded default host (the seed notes' transmit backtraces).
import Capture
import Foundation
import Wire

typealias TransmitCase = CaptureCase

func transmitCases() -> [TransmitCase] {
    let h = IPv4Address(10, 1, 0, 2), gw = IPv4Address(10, 1, 0, 1)
    let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01), gwMAC = MACAddress(0x02, 0, 0, 0, 0, 0xfe)
    let data = Array("hello kernel".utf8)

    func out(_ ip: [UInt8], from: MACAddress = hostMAC, to: MACAddress = gwMAC) -> [UInt8] {
        EthernetHeader(destination: to, source: from, etherType: .ipv4).emit(payload: ip)
    }
    func udp(_ dst: IPv4Address, src: IPv4Address = h, dport: UInt16 = 5353, sport: UInt16 = 40000, payload: [UInt8] = data, ident: UInt16 = 0x5001) -> [UInt8] {
        let ip = IPv4Header(source: src, destination: dst, protocol: .udp, ident: ident, dontFrag: payload.count + 28 <= 1500)
        return ip.emit(payload: UDPHeader(sourcePort: sport, destinationPort: dport).emit(payload: payload, pseudoHeader: ip.pseudoHeaderSum))
    }
    func tcp(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, payload: [UInt8] = [], ident: UInt16, sport: UInt16 = 41000) -> [UInt8] {
        let ip = IPv4Header(source: h, destination: gw, protocol: .tcp, ident: ident)
        // The SYN is the one 6.18 sends from netns-h (connect: window 64240; MSS, SACK,
        // timestamps, window scale 10 from its tcp_rmem), as tracer verify sees the kernel send it.
        let syn = flags.contains(.syn)
        let t = TCPHeader(sourcePort: sport, destinationPort: 80, sequenceNumber: seq, ackNumber: ack, flags: flags, window: syn ? 64240 : 502,
                          options: syn ? [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 1, echo: 0), .noOperation, .windowScale(10)] : [])
        return ip.emit(payload: t.emit(payload: payload, pseudoHeader: ip.pseudoHeaderSum))
    }
    /// The gateway's answer to a SYN the host sent from `dport` (a SYN-ACK, or a RST refusing it).
    func answer(_ flags: TCPFlags, dport: UInt16, ack: UInt32, ident: UInt16, echo: UInt32 = 1) -> [UInt8] {
        let ip = IPv4Header(source: gw, destination: h, protocol: .tcp, ident: ident)
        let syn = flags.contains(.syn)
        let t = TCPHeader(sourcePort: 80, destinationPort: dport, sequenceNumber: syn ? 9000 : 0, ackNumber: ack, flags: flags, window: syn ? 65160 : 0,
                          options: syn ? [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 77, echo: echo), .noOperation, .windowScale(7)] : [])
        return EthernetHeader(destination: hostMAC, source: gwMAC, etherType: .ipv4).emit(payload: ip.emit(payload: t.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum)))
    }
    let big = (0..<3000).map { UInt8($0 & 0xff) }
    let echo = IPv4Header(source: h, destination: gw, protocol: .icmp, ident: 0x5101)
        .emit(payload: ICMPv4Header.echoRequest(ident: 9, sequence: 1).emit(body: (0..<56).map { UInt8($0) }))
    let echo2 = IPv4Header(source: h, destination: gw, protocol: .icmp, ident: 0x5102)
        .emit(payload: ICMPv4Header.echoRequest(ident: 9, sequence: 2).emit(body: (0..<56).map { UInt8($0) }))
    func peer(_ ip: [UInt8]) -> [UInt8] { EthernetHeader(destination: hostMAC, source: gwMAC, etherType: .ipv4).emit(payload: ip) }
    func echoReply(_ sequence: UInt16, ident: UInt16) -> [UInt8] {
        IPv4Header(source: gw, destination: h, protocol: .icmp, ident: ident, dontFrag: false)
            .emit(payload: ICMPv4Header.echoReply(ident: 9, sequence: sequence).emit(body: (0..<56).map { UInt8($0) }))
    }
    let closed = udp(gw, dport: 9999, ident: 0x5c01)
    let portUnreachable: [UInt8] = {
        let ip = IPv4Header(source: gw, destination: h, protocol: .icmp, ttl: 64, tos: 0xc0, ident: 0x5c02, dontFrag: false)
        return ip.emit(payload: ICMPv4Header.unreachable(code: 3).emit(body: closed))
    }()
    let raw = IPv4Header(source: h, destination: gw, protocol: .unknown(253), ident: 0x5201).emit(payload: data)
    // PMTU: a 1472-byte datagram fits the 1500-byte path; the gateway answers with
    // fragmentation needed (MTU 1400) quoting it; the same send again is then cut at 1400.
    let far = IPv4Address(203, 0, 113, 9)
    let fits = udp(far, payload: Array(repeating: 0x61, count: 1472), ident: 0x5301)
    let fragNeeded: [UInt8] = {
        let ip = IPv4Header(source: gw, destination: h, protocol: .icmp, ttl: 64, tos: 0xc0, ident: 0x5401, dontFrag: false)
        let msg = ICMPv4Header.unreachable(code: 4, mtu: 1400).emit(body: Array(fits[0..<(20 + 8 + 64)]))
        return EthernetHeader(destination: hostMAC, source: gwMAC, etherType: .ipv4).emit(payload: ip.emit(payload: msg))
    }()
    let seedHost = IPv4Address(192, 168, 1, 10)
    let seedMAC = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56), seedGW = MACAddress(0x52, 0x54, 0x00, 0, 0, 0x01)

    return [
        TransmitCase(name: "udp-small", frames: [out(udp(gw))]),
        TransmitCase(name: "udp-3000", frames: [out(udp(gw, payload: big, ident: 0x5002))]),
        TransmitCase(name: "udp-route-errors", frames: [
            out(udp(IPv4Address(10, 66, 0, 1))), out(udp(IPv4Address(10, 67, 0, 1))), out(udp(IPv4Address(10, 68, 0, 1))),
        ]),
        TransmitCase(name: "udp-no-route", frames: [out(udp(IPv4Address(192, 0, 2, 1)))]),
        TransmitCase(name: "udp-unknown-neighbour", frames: [out(udp(IPv4Address(10, 1, 0, 5)), to: .broadcast)]),
        TransmitCase(name: "udp-policy-mtu", frames: [
            out(udp(IPv4Address(10, 70, 0, 5), payload: Array(big[0..<2000]), ident: 0x5003), to: MACAddress(0x02, 0, 0, 0, 0x01, 0xfe)),
            out(udp(IPv4Address(10, 9, 0, 5), payload: Array(big[0..<2000]), ident: 0x5004), to: MACAddress(0x02, 0, 0, 0, 0x01, 0xfe)),
        ]),
        TransmitCase(name: "udp-pmtu-learned", frames: [out(fits), fragNeeded, out(udp(far, payload: Array(repeating: 0x61, count: 1472), ident: 0x5302))]),
        TransmitCase(name: "tcp-connect-send-fin", frames: [
            out(tcp(.syn, seq: 5000, ident: 0x5501)),
            out(tcp([.ack, .psh], seq: 5001, ack: 9001, payload: Array("GET / HTTP/1.0\r\n\r\n".utf8), ident: 0x5502)),
            out(tcp([.fin, .ack], seq: 5019, ack: 9001, ident: 0x5503)),
        ]),
        // connect(): the SYN-ACK finds the socket in SYN_SENT and is answered with an ACK; a RST
        // for the SYN refuses it (ECONNREFUSED).
        TransmitCase(name: "tcp-connect-synack", frames: [out(tcp(.syn, seq: 6000, ident: 0x5601, sport: 41001)),
                                                          answer([.syn, .ack], dport: 41001, ack: 6001, ident: 0x5602)]),
        // A SYN-ACK echoing a timestamp the SYN never carried (PAWS: reset, TCP_RFC7323_PAWS).
        TransmitCase(name: "tcp-connect-synack-paws", frames: [out(tcp(.syn, seq: 8000, ident: 0x5801, sport: 41003)),
                                                               answer([.syn, .ack], dport: 41003, ack: 8001, ident: 0x5802, echo: 100_000)]),
        // A SYN-ACK acknowledging what the SYN did not send: reset (TCP_INVALID_ACK_SEQUENCE).
        TransmitCase(name: "tcp-connect-synack-bad-ack", frames: [out(tcp(.syn, seq: 8500, ident: 0x5901, sport: 41004)),
                                                                  answer([.syn, .ack], dport: 41004, ack: 8600, ident: 0x5902)]),
        TransmitCase(name: "tcp-connect-refused", frames: [out(tcp(.syn, seq: 7000, ident: 0x5701, sport: 41002)),
                                                           answer([.rst, .ack], dport: 41002, ack: 7001, ident: 0x5702)]),
        // Dropped at LOCAL_OUT by the output chain of Fixtures/hosts/netns-h-nft-output: the
        // sendto() returns EPERM and nothing leaves; the next datagram (another port) goes.
        TransmitCase(name: "udp-output-dropped", frames: [out(udp(gw, dport: 9999)), out(udp(gw, dport: 9998, ident: 0x5005))]),
        TransmitCase(name: "icmp-echo", frames: [out(echo)]),
        // What a capture of ordinary programs holds: each send, and the peer's answer to it. A
        // query answered to the sending socket's port (queued on it: the program has not read
        // it yet); ping's two requests, each answered (the raw socket's copy); a datagram to a
        // closed port, answered with port unreachable (udp_err: reported to its socket).
        TransmitCase(name: "udp-query-answered", frames: [out(udp(gw)), peer(udp(h, src: gw, dport: 40000, sport: 5353, payload: Array("hello back".utf8), ident: 0x5a01))]),
        TransmitCase(name: "icmp-echo-answered", frames: [out(echo), peer(echoReply(1, ident: 0x5b01)), out(echo2), peer(echoReply(2, ident: 0x5b02))]),
        TransmitCase(name: "udp-port-unreachable-answer", frames: [out(closed), peer(portUnreachable)]),
        // A server's side: the peer's query to the port the host listens on (5353), read there,
        // and the program's answer from that port.
        TransmitCase(name: "udp-server-answers", frames: [peer(udp(h, src: gw, dport: 5353, sport: 40000, ident: 0x5d01)),
                                                          out(udp(gw, dport: 40000, sport: 5353, payload: Array("hello back".utf8), ident: 0x5d02))]),
        TransmitCase(name: "raw-ip", frames: [out(raw)]),
        TransmitCase(name: "seed-udp", frames: [
            out(udp(IPv4Address(8, 8, 8, 8), src: seedHost, dport: 53, payload: data), from: seedMAC, to: seedGW),
        ]),
    ]
}

func writeTransmitCases(to dir: String) throws {
    try writeCases(transmitCases(), to: dir, start: 1_700_000_200)
    // The snapshot each case is for, where it is not netns-h (tracer verify, make oracle).
    for (name, host) in [("udp-no-route", "netns-h-nodefault"), ("seed-udp", "default-stale"), ("udp-output-dropped", "netns-h-nft-output")] {
        try "\(host)\n".write(toFile: "\(dir)/\(name).host", atomically: true, encoding: .utf8)
    }
    print("wrote \(transmitCases().count) transmit-path cases to \(dir)")
}
