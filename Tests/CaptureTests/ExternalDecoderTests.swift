// The views against the decoders users trust: tshark's field-by-field decode of the same
// captures, and tcpdump's checksum verdicts on frames the builders wrote.
import Foundation
import Testing
import TestSupport
@testable import Wire
@testable import Capture

@Suite struct TsharkCrossCheck {
    static let fields = ["frame.number", "eth.src", "eth.dst", "vlan.id", "sll.pkttype", "sll.ifindex",
                         "ip.src", "ip.dst", "ip.id", "ip.ttl", "ip.proto", "ip.frag_offset", "ip.flags.df", "ip.flags.mf",
                         "ipv6.src", "ipv6.dst", "ipv6.hlim", "udp.srcport", "udp.dstport", "udp.length",
                         "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.window_size_value", "tcp.hdr_len",
                         "icmp.type", "icmp.code", "icmpv6.type", "arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "arp.src.hw_mac"]

    /// Our reading of a frame, rendered field by field as tshark renders it.
    static func ours(_ bytes: UnsafeRawBufferPointer, _ lt: LinkType, number: Int) -> [String] {
        let d = Dissection(bytes, linkType: lt)
        var v = [String: String]()
        v["frame.number"] = String(number)
        if let e = d.link?.ethernet {
            v["eth.src"] = e.source.description; v["eth.dst"] = e.destination.description
            if let t = e.vlanTags.last(where: { $0.tpid == 0x8100 }) { v["vlan.id"] = String(t.vid) }
        }
        if let pt = d.link?.packetType { v["sll.pkttype"] = String(pt.rawValue) }
        if let i = d.link?.interfaceIndex { v["sll.ifindex"] = String(i) }
        switch d.network {
        case .ipv4(let ip)?:
            v["ip.src"] = ip.source.description; v["ip.dst"] = ip.destination.description
            v["ip.id"] = "0x" + String(ip.ident, radix: 16).leftPadded(to: 4)
            v["ip.ttl"] = String(ip.ttl); v["ip.proto"] = String(ip.protocolNumber)
            v["ip.frag_offset"] = String(ip.fragOffset / 8)
            v["ip.flags.df"] = ip.dontFrag ? "1" : "0"; v["ip.flags.mf"] = ip.moreFrags ? "1" : "0"
        case .ipv6(let ip)?:
            v["ipv6.src"] = ip.source.description; v["ipv6.dst"] = ip.destination.description; v["ipv6.hlim"] = String(ip.hopLimit)
        case .arp(let a)?:
            v["arp.opcode"] = String(a.operation.rawValue)
            v["arp.src.proto_ipv4"] = a.senderProtocolAddress.description; v["arp.dst.proto_ipv4"] = a.targetProtocolAddress.description
            v["arp.src.hw_mac"] = a.senderHardwareAddress.description
        default: break
        }
        switch d.transport {
        case .udp(let u)?:
            v["udp.srcport"] = String(u.sourcePort); v["udp.dstport"] = String(u.destinationPort); v["udp.length"] = String(u.length)
        case .tcp(let t)?:
            v["tcp.srcport"] = String(t.sourcePort); v["tcp.dstport"] = String(t.destinationPort)
            v["tcp.seq_raw"] = String(t.sequenceNumber); v["tcp.ack_raw"] = String(t.ackNumber)
            v["tcp.window_size_value"] = String(t.window); v["tcp.hdr_len"] = String(t.headerLength)
        case .icmp(let m)?:
            v["icmp.type"] = String(m.type); v["icmp.code"] = String(m.code)
            // tshark also decodes the quoted packet of an ICMP error; first occurrences are the
            // outer ones, so the quoted transport fields come from it too.
            if let quoted = IPv4Packet.parseFixedHeader(m.body).value, m.type == 3 || m.type == 11,
               case .udp(let u) = Dissection.dissectTransport(quoted.bytes.tail(from: quoted.headerLength), protocol: quoted.nextProtocol) {
                v["udp.srcport"] = String(u.sourcePort); v["udp.dstport"] = String(u.destinationPort); v["udp.length"] = String(u.length)
            }
        case .icmpv6(let m)?:
            v["icmpv6.type"] = String(m.type)
        default: break
        }
        return fields.map { v[$0] ?? "" }
    }

    @Test(.enabled(if: installed("tshark"), "tshark is not installed (make test installs it)"),
          arguments: ["ethernet.pcap", "ethernet.pcapng", "sll.pcap", "sll2.pcap", "raw.pcap", "ipv4.pcap", "ipv6.pcap",
                      "null.pcap", "loop.pcap", "netns-sll2.pcap"])
    func fieldsAgreeWithTshark(file: String) throws {
        let args = ["-r", fixture(file), "-o", "ip.defragment:FALSE", "-T", "fields", "-E", "occurrence=f", "-E", "separator=|"]
            + Self.fields.flatMap { ["-e", $0] }
        let result = try #require(run("tshark", args))
        #expect(result.status == 0, "\(result.err)")
        let theirs = result.out.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        let r = try CaptureReader(path: fixture(file))
        var n = 0
        while let f = try r.next() {
            let mine = Self.ours(f.bytes, r.linkType, number: f.number)
            try #require(n < theirs.count)
            for (i, field) in Self.fields.enumerated() where mine[i] != theirs[n][i] {
                Issue.record("\(file) frame \(f.number) \(field): tracer '\(mine[i])', tshark '\(theirs[n][i])'")
            }
            n += 1
        }
        #expect(n == theirs.count)
        #expect(n > 0)
    }
}

@Suite struct TcpdumpChecksums {
    static let a = IPv4Address(10, 1, 0, 1), b = IPv4Address(10, 1, 0, 2)

    /// One frame of each kind the model will emit, built by the builders.
    static func builtFrames(breakOne: Bool = false) -> [[UInt8]] {
        let eth = { (type: EtherType, p: [UInt8]) in
            EthernetHeader(destination: MACAddress(2, 0, 0, 0, 0, 1), source: MACAddress(2, 0, 0, 0, 0, 2), etherType: type).emit(payload: p)
        }
        let udpIP = IPv4Header(source: a, destination: b, protocol: .udp, ident: 1)
        var udpHeader = UDPHeader(sourcePort: 5000, destinationPort: 53)
        if breakOne { udpHeader.checksumOverride = 0x1234 }
        let udp = udpIP.emit(payload: udpHeader.emit(payload: Array("query".utf8), pseudoHeader: udpIP.pseudoHeaderSum))
        let tcpIP = IPv4Header(source: b, destination: a, protocol: .tcp, ident: 2)
        let synAck = tcpIP.emit(payload: TCPHeader(sourcePort: 80, destinationPort: 40000, sequenceNumber: 7, ackNumber: 1001,
                                                   flags: [.syn, .ack], options: [.maxSegmentSize(1460), .sackPermitted, .windowScale(7)])
            .emit(payload: [], pseudoHeader: tcpIP.pseudoHeaderSum))
        let rst = tcpIP.emit(payload: TCPHeader(sourcePort: 81, destinationPort: 40001, sequenceNumber: 0, ackNumber: 1001, flags: [.rst, .ack], window: 0)
            .emit(payload: [], pseudoHeader: tcpIP.pseudoHeaderSum))
        let icmpIP = IPv4Header(source: b, destination: a, protocol: .icmp, tos: 0xc0, ident: 3, dontFrag: false)
        let echoReply = icmpIP.emit(payload: ICMPv4Header.echoReply(ident: 7, sequence: 1).emit(body: Array(0..<56)))
        let portUnreach = icmpIP.emit(payload: ICMPv4Header.unreachable(code: 3).emit(body: Array(udp.prefix(28))))
        let fragNeeded = icmpIP.emit(payload: ICMPv4Header.unreachable(code: 4, mtu: 1400).emit(body: Array(udp.prefix(28))))
        let ttlExceeded = icmpIP.emit(payload: ICMPv4Header.timeExceeded(code: 0).emit(body: Array(udp.prefix(28))))
        let arpReply = ARPHeader(operation: .reply, senderHardwareAddress: MACAddress(2, 0, 0, 0, 0, 1), senderProtocolAddress: b,
                                 targetHardwareAddress: MACAddress(2, 0, 0, 0, 0, 2), targetProtocolAddress: a).emit()
        var optIP = IPv4Header(source: a, destination: b, protocol: .udp, ident: 4)
        optIP.options = IPv4Option.emit([IPv4Option(type: IPv4Option.routerAlert, data: [0, 0])])
        let withOptions = optIP.emit(payload: UDPHeader(sourcePort: 1, destinationPort: 2).emit(payload: [1], pseudoHeader: optIP.pseudoHeaderSum))
        let v6 = IPv6Header(source: IPv6Address("fd00::1")!, destination: IPv6Address("fd00::2")!, nextHeader: .udp)
        let udp6 = v6.emit(payload: UDPHeader(sourcePort: 1, destinationPort: 2).emit(payload: [1, 2, 3], pseudoHeader: v6.pseudoHeaderSum))
        let p6 = IPv6Header(source: IPv6Address("fd00::1")!, destination: IPv6Address("fd00::2")!, nextHeader: .icmpv6)
        let ping6 = p6.emit(payload: ICMPv6Header(type: 129, code: 0, restOfHeader: 0x0001_0001).emit(body: [1, 2, 3, 4], ip: p6))
        return [eth(.ipv4, udp), eth(.ipv4, synAck), eth(.ipv4, rst), eth(.ipv4, echoReply), eth(.ipv4, portUnreach),
                eth(.ipv4, fragNeeded), eth(.ipv4, ttlExceeded), eth(.arp, arpReply), eth(.ipv4, withOptions),
                eth(.ipv6, udp6), eth(.ipv6, ping6)]
    }

    static func tcpdump(_ frames: [[UInt8]], name: String) throws -> String {
        let path = temporaryPath(name)
        let w = try CaptureWriter(path: path, linkType: .ethernet)
        for f in frames { w.write(f, timestamp: Timestamp(seconds: 0, nanoseconds: 0)) }
        try w.close()
        let r = try #require(run("tcpdump", ["-vvv", "-n", "-r", path]))
        #expect(r.status == 0, "\(r.err)")
        return r.out
    }

    @Test(.enabled(if: installed("tcpdump"), "tcpdump is not installed (make test installs it)"))
    func builtFramesShowNoChecksumError() throws {
        let out = try Self.tcpdump(Self.builtFrames(), name: "built.pcap")
        for bad in ["bad cksum", "incorrect", "wrong", "bad udp cksum", "[|"] {
            #expect(!out.contains(bad), "tcpdump saw '\(bad)':\n\(out)")
        }
        // Where tcpdump verifies a checksum it says so: UDP over IPv4 (plain and with options) and
        // IPv6, TCP SYN-ACK and RST, ICMPv6. (IPv4 header and ICMPv4 checksums are only reported
        // when wrong, which the list above rules out.)
        #expect(out.components(separatedBy: "[udp sum ok]").count - 1 == 3, "\(out)")
        #expect(out.components(separatedBy: "(correct)").count - 1 == 2, "\(out)")
        #expect(out.contains("[icmp6 sum ok]"), "\(out)")
        #expect(out.contains("ICMP echo reply, id 7, seq 1, length 64"))
        #expect(out.contains("10.1.0.2 unreachable - need to frag (mtu 1400)"))
        #expect(out.contains("ARP, Ethernet (len 6), IPv4 (len 4), Reply 10.1.0.2 is-at 02:00:00:00:00:01"))
        #expect(out.contains("options (RA)"))
    }

    /// The check above can fail: a frame with a wrong checksum is flagged by tcpdump.
    @Test(.enabled(if: installed("tcpdump"), "tcpdump is not installed (make test installs it)"))
    func aBrokenChecksumIsSeen() throws {
        let out = try Self.tcpdump(Array(Self.builtFrames(breakOne: true).prefix(1)), name: "broken.pcap")
        #expect(out.contains("bad udp cksum"), "\(out)")
    }
}
