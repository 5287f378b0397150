import Testing
import TestSupport
import Wire
@testable import Capture

@Suite struct CaptureReaderTests {
    /// Reads every frame of `path`, returning (link type, frames as byte arrays, timestamps).
    func readAll(_ path: String) throws -> (LinkType, [[UInt8]], [Timestamp]) {
        let r = try CaptureReader(path: path)
        var frames: [[UInt8]] = [], times: [Timestamp] = []
        while let f = try r.next() { frames.append(Array(f.bytes)); times.append(f.timestamp) }
        return (r.linkType, frames, times)
    }

    @Test(arguments: [
        ("ethernet.pcap", LinkType.ethernet, 15), ("ethernet.pcapng", .ethernet, 15), ("ethernet-usec.pcap", .ethernet, 15),
        ("sll.pcap", .linuxSLL, 15), ("sll2.pcap", .linuxSLL2, 15), ("netns-sll2.pcap", .linuxSLL2, 12),
        ("raw.pcap", .raw, 13), ("ipv4.pcap", .ipv4, 11), ("ipv6.pcap", .ipv6, 2),
        ("null.pcap", .null, 13), ("loop.pcap", .loop, 13), ("malformed.pcap", .ethernet, 10),
    ])
    func readsEachLinkType(file: String, linkType: LinkType, frames: Int) throws {
        let (lt, f, _) = try readAll(fixture(file))
        #expect(lt == linkType)
        #expect(f.count == frames)
    }

    @Test func pcapngAndPcapCarryTheSameFrames() throws {
        let (_, a, ta) = try readAll(fixture("ethernet.pcap"))
        let (_, b, tb) = try readAll(fixture("ethernet.pcapng"))
        #expect(a == b)
        #expect(ta == tb)   // pcapng keeps nanoseconds (if_tsresol 9 from editcap)
    }

    /// `seconds.nanoseconds` with nine digits, written digit by digit; the fallback keeps what
    /// an out-of-range value printed before.
    @Test func timestampDescription() {
        #expect(Timestamp(seconds: 1_700_000_000, nanoseconds: 10_000).description == "1700000000.000010000")
        #expect(Timestamp(seconds: 0, nanoseconds: 0).description == "0.000000000")
        #expect(Timestamp(seconds: 9, nanoseconds: 999_999_999).description == "9.999999999")
        #expect(Timestamp(seconds: Int64.max, nanoseconds: 1).description == "9223372036854775807.000000001")
        #expect(Timestamp(seconds: -1, nanoseconds: 5).description == "-1.000000005")
        #expect(Timestamp(seconds: 3, nanoseconds: 1_500_000_000).description == "3.1500000000")
    }

    @Test func timestampPrecisions() throws {
        let (_, _, nano) = try readAll(fixture("ethernet.pcap"))
        let (_, _, micro) = try readAll(fixture("ethernet-usec.pcap"))
        #expect(nano[1] == Timestamp(seconds: 1_700_000_000, nanoseconds: 100_001_578))
        // The microsecond file lost the last three digits; libpcap scales it to nanoseconds.
        #expect(micro[1] == Timestamp(seconds: 1_700_000_000, nanoseconds: 100_001_000))
        #expect(micro[1].description == "1700000000.100001000")
    }

    @Test func snappedFramesKeepTheirWireLength() throws {
        let r = try CaptureReader(path: fixture("snapped.pcap"))
        #expect(r.snapLength == 40)
        let f = try #require(try r.next())
        #expect(f.bytes.count == 40 && f.wireLength == 54 && f.isSnapped)
    }

    @Test func missingFile() {
        #expect(throws: CaptureError.open(path: "/nonexistent.pcap", message: "No such file or directory")) {
            try CaptureReader(path: "/nonexistent.pcap")
        }
    }

    @Test func notACapture() {
        let path = "\(packageRoot)/Package.swift"
        #expect(throws: CaptureError.open(path: path, message: "unknown file format")) { try CaptureReader(path: path) }
    }

    @Test func unsupportedLinkType() {
        let path = fixture("ieee802_11.pcap")
        #expect(throws: CaptureError.unsupportedLinkType(path: path, dlt: 105, name: "IEEE802_11")) { try CaptureReader(path: path) }
    }

    @Test func truncatedCaptureNamesTheFrame() throws {
        let r = try CaptureReader(path: fixture("truncated.pcap"))
        #expect(try r.next() != nil)
        #expect(try r.next() != nil)
        do {
            _ = try r.next()
            Issue.record("the third record is cut short and must not read")
        } catch {
            guard case .read(_, let frame, let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(frame == 3)
            #expect(message.contains("truncated"))
        }
    }
}

@Suite struct PacketFilterTests {
    func matching(_ expression: String, _ file: String = "ethernet.pcap") throws -> [Int] {
        let r = try CaptureReader(path: fixture(file))
        let filter = try PacketFilter(expression: expression, linkType: r.linkType)
        var out: [Int] = []
        while let f = try r.next() { if filter.matches(f) { out.append(f.number) } }
        return out
    }

    @Test func tcpdumpExpressions() throws {
        #expect(try matching("arp") == [4, 5])
        #expect(try matching("tcp[tcpflags] & tcp-syn != 0") == [2])
        #expect(try matching("ip6") == [6, 7])
        #expect(try matching("vlan 10") == [12])
        #expect(try matching("icmp") == [3])
        #expect(try matching("ip[6:2] & 0x3fff != 0") == [9, 10])   // fragments
        #expect(try matching("udp port 53", "sll2.pcap") == [6, 14, 15])
        #expect(try matching("host 192.0.2.7", "raw.pcap") == [12, 13])
    }

    @Test func badExpressionKeepsLibpcapText() {
        #expect(throws: CaptureError.filter(expression: "udpp", message: "can't parse filter expression: syntax error")) {
            try PacketFilter(expression: "udpp", linkType: .ethernet)
        }
    }
}

@Suite struct CaptureWriterTests {
    @Test func roundTrip() throws {
        let path = temporaryPath("roundtrip.pcap")
        let frames: [[UInt8]] = [[1, 2, 3], Array(repeating: 0xab, count: 1500), []]
        let w = try CaptureWriter(path: path, linkType: .raw)
        for (i, f) in frames.enumerated() { w.write(f, timestamp: Timestamp(seconds: Int64(i), nanoseconds: 999_999_999)) }
        w.write([9, 9], timestamp: Timestamp(seconds: 7, nanoseconds: 1), wireLength: 100)
        try w.close()
        try w.close()  // twice is harmless

        let r = try CaptureReader(path: path)
        #expect(r.linkType == .raw)
        var read: [[UInt8]] = []
        var last: CapturedFrame? = nil
        while let f = try r.next() {
            read.append(Array(f.bytes))
            #expect(f.timestamp.nanoseconds == (f.number == 4 ? 1 : 999_999_999))
            last = f
        }
        #expect(read == frames + [[9, 9]])
        #expect(last?.wireLength == 100)
    }

    @Test func unwritablePath() {
        #expect(throws: CaptureError.self) { try CaptureWriter(path: "/nonexistent-dir/x.pcap", linkType: .ethernet) }
    }
}
