// make-fixtures: writes the synthetic captures under Fixtures/captures with the project's own
// builders, so every fixture byte comes from code that is reviewed and tested, never from a hex
// editor. `make fixtures` runs it; the pcapng and microsecond variants are then converted from
// these by Wireshark's editcap (see the Makefile), and the real-kernel ones come from
// Fixtures/scripts/capture-netns.sh.
//
// usage: make-fixtures OUTPUT_DIR
import Capture
import Wire

#if canImport(Glibc)
import Glibc
#endif

let outDir = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "Fixtures/captures"

// `make-fixtures --bench PATH N`: the benchmark capture only.
if CommandLine.arguments.count == 4, CommandLine.arguments[1] == "--bench", let n = Int(CommandLine.arguments[3]) {
    do { try writeBenchCapture(path: CommandLine.arguments[2], frames: n) } catch { print("make-fixtures: \(error)"); exit(1) }
    exit(0)
}

let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01)     // the capture host (eth0)
let peerMAC = MACAddress(0x02, 0, 0, 0, 0, 0xfe)     // its neighbour / gateway
let otherMAC = MACAddress(0x02, 0, 0, 0, 0, 0x77)    // someone else on the wire
let hostIP = IPv4Address(10, 1, 0, 2)
let peerIP = IPv4Address(10, 1, 0, 1)
let farIP = IPv4Address(192, 0, 2, 7)
let host6 = IPv6Address("fd00::2")!
let peer6 = IPv6Address("fd00::1")!

/// A network-layer packet and who it is between on the link.
struct Sample {
    let name: String
    let etherType: EtherType
    let packet: [UInt8]
    var source = peerMAC
    var destination = hostMAC
    var outgoing = false
    var tags: [VLANTag] = []
}

func udp4(_ src: IPv4Address, _ dst: IPv4Address, _ sport: UInt16, _ dport: UInt16, _ payload: [UInt8], ident: UInt16 = 0x1234, ttl: UInt8 = 64) -> [UInt8] {
    let ip = IPv4Header(source: src, destination: dst, protocol: .udp, ttl: ttl, ident: ident)
    return ip.emit(payload: UDPHeader(sourcePort: sport, destinationPort: dport).emit(payload: payload, pseudoHeader: ip.pseudoHeaderSum))
}

let payload12 = Array("hello kernel".utf8)

var samples: [Sample] = []
samples.append(Sample(name: "udp", etherType: .ipv4, packet: udp4(peerIP, hostIP, 40000, 5353, payload12)))
do {
    let ip = IPv4Header(source: peerIP, destination: hostIP, protocol: .tcp, ident: 0x2222)
    let syn = TCPHeader(sourcePort: 40001, destinationPort: 80, sequenceNumber: 1000, flags: .syn, window: 64240,
                        options: [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 1, echo: 0), .noOperation, .windowScale(7)])
    samples.append(Sample(name: "tcp-syn", etherType: .ipv4, packet: ip.emit(payload: syn.emit(payload: [], pseudoHeader: ip.pseudoHeaderSum))))
}
do {
    let ip = IPv4Header(source: peerIP, destination: hostIP, protocol: .icmp, ident: 0x3333)
    let body = (0..<56).map { UInt8($0) }
    samples.append(Sample(name: "icmp-echo", etherType: .ipv4,
                          packet: ip.emit(payload: ICMPv4Header.echoRequest(ident: 7, sequence: 1).emit(body: body))))
}
do {
    let req = ARPHeader(operation: .request, senderHardwareAddress: peerMAC, senderProtocolAddress: peerIP,
                        targetHardwareAddress: .zero, targetProtocolAddress: hostIP)
    samples.append(Sample(name: "arp-request", etherType: .arp, packet: req.emit(), destination: .broadcast))
    let rep = ARPHeader(operation: .reply, senderHardwareAddress: hostMAC, senderProtocolAddress: hostIP,
                        targetHardwareAddress: peerMAC, targetProtocolAddress: peerIP)
    samples.append(Sample(name: "arp-reply", etherType: .arp, packet: rep.emit(), source: hostMAC, destination: peerMAC, outgoing: true))
}
do {
    let ip = IPv6Header(source: peer6, destination: host6, nextHeader: .udp)
    samples.append(Sample(name: "udp6", etherType: .ipv6,
                          packet: ip.emit(payload: UDPHeader(sourcePort: 40002, destinationPort: 53).emit(payload: payload12, pseudoHeader: ip.pseudoHeaderSum))))
    let ping = IPv6Header(source: peer6, destination: host6, nextHeader: .icmpv6)
    samples.append(Sample(name: "icmp6-echo", etherType: .ipv6,
                          packet: ping.emit(payload: ICMPv6Header(type: 128, code: 0, restOfHeader: 0x0007_0001).emit(body: Array(payload12), ip: ping))))
}
do {
    // IPv4 with a router alert, a NOP and a record-route option with 8 slots: 40 option bytes,
    // the most IHL allows.
    let rr = IPv4Option(type: IPv4Option.recordRoute, data: [4] + [UInt8](repeating: 0, count: 32))
    let ra = IPv4Option(type: IPv4Option.routerAlert, data: [0, 0])
    var ip = IPv4Header(source: peerIP, destination: hostIP, protocol: .udp, ident: 0x4444)
    ip.options = IPv4Option.emit([ra, .init(type: IPv4Option.noOperation), rr])
    samples.append(Sample(name: "ipv4-options", etherType: .ipv4,
                          packet: ip.emit(payload: UDPHeader(sourcePort: 40003, destinationPort: 5353).emit(payload: payload12, pseudoHeader: ip.pseudoHeaderSum))))
}
do {
    // A 2000-byte UDP datagram cut in two fragments at 1480 bytes, as a 1500-MTU link cuts it.
    let data = (0..<1992).map { UInt8($0 & 0xff) }
    let full = UDPHeader(sourcePort: 40004, destinationPort: 5353)
        .emit(payload: data, pseudoHeader: IPv4Header(source: peerIP, destination: hostIP, protocol: .udp).pseudoHeaderSum)
    let first = IPv4Header(source: peerIP, destination: hostIP, protocol: .udp, ident: 0x5555, dontFrag: false, moreFrags: true, fragOffset: 0)
    let second = IPv4Header(source: peerIP, destination: hostIP, protocol: .udp, ident: 0x5555, dontFrag: false, moreFrags: false, fragOffset: 1480)
    samples.append(Sample(name: "fragment-1", etherType: .ipv4, packet: first.emit(payload: Array(full[0..<1480]))))
    samples.append(Sample(name: "fragment-2", etherType: .ipv4, packet: second.emit(payload: Array(full[1480...]))))
}
do {
    var ip = IPv4Header(source: peerIP, destination: hostIP, protocol: .udp, ident: 0x6666)
    ip.checksumOverride = 0xbeef
    samples.append(Sample(name: "bad-ip-checksum", etherType: .ipv4,
                          packet: ip.emit(payload: UDPHeader(sourcePort: 40005, destinationPort: 5353).emit(payload: payload12, pseudoHeader: ip.pseudoHeaderSum))))
}
samples.append(Sample(name: "vlan", etherType: .ipv4, packet: udp4(peerIP, hostIP, 40006, 5353, payload12),
                      tags: [VLANTag(vid: 10, pcp: 3)]))
samples.append(Sample(name: "qinq", etherType: .ipv4, packet: udp4(peerIP, hostIP, 40007, 5353, payload12),
                      tags: [VLANTag(tpid: 0x88a8, vid: 100), VLANTag(vid: 20)]))
samples.append(Sample(name: "other-host", etherType: .ipv4, packet: udp4(farIP, peerIP, 40008, 53, payload12),
                      source: otherMAC, destination: peerMAC))
samples.append(Sample(name: "outgoing-udp", etherType: .ipv4, packet: udp4(hostIP, farIP, 40009, 53, payload12, ident: 0x7777),
                      source: hostMAC, destination: peerMAC, outgoing: true))

func timestamp(_ i: Int) -> Timestamp {
    Timestamp(seconds: 1_700_000_000 + Int64(i / 10), nanoseconds: Int64(i % 10) * 100_000_000 + 123_456_789 % 1000 * Int64(i + 1))
}

func write(_ name: String, _ linkType: LinkType, _ frames: [[UInt8]]) throws {
    let w = try CaptureWriter(path: "\(outDir)/\(name)", linkType: linkType)
    for (i, f) in frames.enumerated() { w.write(f, timestamp: timestamp(i)) }
    try w.close()
    print("wrote \(outDir)/\(name): \(frames.count) frames, \(linkType)")
}

func ethernet(_ s: Sample) -> [UInt8] {
    EthernetHeader(destination: s.destination, source: s.source, tags: s.tags, etherType: s.etherType).emit(payload: s.packet)
}

func packetType(_ s: Sample) -> PacketType {
    s.outgoing ? .outgoing : s.destination.isBroadcast ? .broadcast : s.destination == hostMAC ? .host : .otherHost
}

let ipOnly = samples.filter { $0.etherType == .ipv4 || $0.etherType == .ipv6 }

do {
    try write("ethernet.pcap", .ethernet, samples.map(ethernet))
    try write("sll.pcap", .linuxSLL, samples.map {
        LinkHeader.sll(packetType: packetType($0), source: $0.source, protocol: $0.etherType) + $0.packet
    })
    try write("sll2.pcap", .linuxSLL2, samples.map {
        LinkHeader.sll2(packetType: packetType($0), interfaceIndex: 2, source: $0.source, protocol: $0.etherType) + $0.packet
    })
    try write("raw.pcap", .raw, ipOnly.map(\.packet))
    try write("ipv4.pcap", .ipv4, ipOnly.filter { $0.etherType == .ipv4 }.map(\.packet))
    try write("ipv6.pcap", .ipv6, ipOnly.filter { $0.etherType == .ipv6 }.map(\.packet))
    try write("null.pcap", .null, ipOnly.map { LinkHeader.null(family: $0.etherType == .ipv4 ? 2 : 30) + $0.packet })
    try write("loop.pcap", .loop, ipOnly.map { LinkHeader.loop(family: $0.etherType == .ipv4 ? 2 : 24) + $0.packet })

    // Hostile inputs.
    // A frame cut short by a snap length of 40 (caplen < len): decodes as far as it can.
    do {
        let w = try CaptureWriter(path: "\(outDir)/snapped.pcap", linkType: .ethernet, snapLength: 40)
        for (i, s) in samples.prefix(3).enumerated() {
            let f = ethernet(s)
            w.write(Array(f.prefix(40)), timestamp: timestamp(i), wireLength: f.count)
        }
        try w.close()
        print("wrote \(outDir)/snapped.pcap")
    }
    // Malformed headers inside well-formed records: each is a typed parse result.
    do {
        var shortIHL = IPv4Header(source: peerIP, destination: hostIP, protocol: .udp)
        shortIHL.ihlOverride = 4
        var v5 = IPv4Header(source: peerIP, destination: hostIP, protocol: .udp)
        v5.versionOverride = 5
        var longTotal = IPv4Header(source: peerIP, destination: hostIP, protocol: .udp)
        longTotal.totalLengthOverride = 1000
        let udp = UDPHeader(sourcePort: 1, destinationPort: 2).emit(payload: payload12, pseudoHeader: shortIHL.pseudoHeaderSum)
        let bad: [Sample] = [
            Sample(name: "ihl-4", etherType: .ipv4, packet: shortIHL.emit(payload: udp)),
            Sample(name: "version-5", etherType: .ipv4, packet: v5.emit(payload: udp)),
            Sample(name: "total-length-beyond-frame", etherType: .ipv4, packet: longTotal.emit(payload: udp)),
            Sample(name: "ipv4-10-bytes", etherType: .ipv4, packet: Array(udp4(peerIP, hostIP, 1, 2, []).prefix(10))),
            Sample(name: "tcp-offset-3", etherType: .ipv4, packet: {
                let ip = IPv4Header(source: peerIP, destination: hostIP, protocol: .tcp)
                var t = TCPHeader(sourcePort: 1, destinationPort: 2, flags: .syn).emit(payload: [], pseudoHeader: ip.pseudoHeaderSum)
                t[12] = 0x30
                return ip.emit(payload: t)
            }()),
            Sample(name: "udp-4-bytes", etherType: .ipv4, packet: IPv4Header(source: peerIP, destination: hostIP, protocol: .udp).emit(payload: [0, 1, 0, 2])),
            Sample(name: "arp-truncated", etherType: .arp, packet: Array(ARPHeader(operation: .request, senderHardwareAddress: peerMAC, senderProtocolAddress: peerIP, targetHardwareAddress: .zero, targetProtocolAddress: hostIP).emit().prefix(20)), destination: .broadcast),
            Sample(name: "unknown-ethertype", etherType: .unknown(0x88cc), packet: [0x02, 0x07, 0x04] + hostMAC.bytes),
            Sample(name: "ipv4-bad-option", etherType: .ipv4, packet: {
                var ip = IPv4Header(source: peerIP, destination: hostIP, protocol: .udp)
                ip.options = [IPv4Option.recordRoute, 40, 4, 0]
                return ip.emit(payload: UDPHeader(sourcePort: 1, destinationPort: 2).emit(payload: [], pseudoHeader: ip.pseudoHeaderSum))
            }()),
        ]
        var frames = bad.map(ethernet)
        frames.append(Array(ethernet(samples[0]).prefix(9)))  // shorter than an Ethernet header
        try write("malformed.pcap", .ethernet, frames)
    }
    // A capture cut in the middle of its third record (as a full disk or a killed tcpdump leaves it).
    do {
        let path = "\(outDir)/truncated.pcap"
        try write("truncated.pcap", .ethernet, samples.prefix(3).map(ethernet))
        let f = fopen(path, "r+")!
        fseek(f, 0, SEEK_END)
        let size = ftell(f)
        fclose(f)
        truncate(path, off_t(size - 30))
        print("cut \(path) to \(size - 30) bytes")
    }
    // A link type tracer does not read: IEEE 802.11 (DLT 105).
    do {
        let w = try CaptureWriter(path: "\(outDir)/ieee802_11.pcap", dlt: 105)
        w.write([0x08, 0x00, 0, 0] + [UInt8](repeating: 0xff, count: 20), timestamp: timestamp(0))
        try w.close()
        print("wrote \(outDir)/ieee802_11.pcap")
    }
    try writeReceiveCases(to: "\(outDir)/../rx")
    try writeBacklogBurst(to: outDir)
    try writeFragmentCases(to: "\(outDir)/../rx")
    try writeTransmitCases(to: "\(outDir)/../tx")
    try writeNetfilterCases(to: "\(outDir)/../rx")
    try writeReceiveCases6(to: "\(outDir)/../rx")
    try writeTransmitCases6(to: "\(outDir)/../tx")
} catch {
    print("make-fixtures: \(error)")
    exit(1)
}
