import Testing
@testable import Wire

let peerMAC = MACAddress(0x02, 0, 0, 0, 0, 0xfe)
let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01)

@Suite struct EthernetTests {
    @Test func untagged() throws {
        let f = EthernetHeader(destination: hostMAC, source: peerMAC, etherType: .ipv4).emit(payload: KernelBytes.tcpSYN)
        try withBytes(f) { b in
            let e = try #require(EthernetFrame.parse(b).value)
            #expect(e.destination == hostMAC && e.source == peerMAC)
            #expect(e.etherType == .ipv4 && e.headerLength == 14 && e.vlanTags.isEmpty)
            #expect(Array(e.payload) == KernelBytes.tcpSYN)
        }
    }

    @Test func dot1qAndQinQ() throws {
        let tags = [VLANTag(tpid: 0x88a8, vid: 100), VLANTag(vid: 20, pcp: 5, dei: true)]
        let f = EthernetHeader(destination: hostMAC, source: peerMAC, tags: tags, etherType: .arp).emit(payload: [])
        try withBytes(f) { b in
            let e = try #require(EthernetFrame.parse(b).value)
            #expect(e.vlanTags == tags)
            #expect(e.innerTag?.vid == 20 && e.innerTag?.pcp == 5 && e.innerTag?.dei == true)
            #expect(e.outerTag?.description == "802.1ad vlan 100")
            #expect(e.etherType == .arp && e.headerLength == 22)
        }
    }

    @Test func truncatedHeaderAndTag() {
        withBytes([UInt8](repeating: 0, count: 13)) { #expect(EthernetFrame.parse($0).error == .truncated(.ethernet, need: 14, have: 13)) }
        // A tag whose inner EtherType is missing.
        let f = Array(EthernetHeader(destination: hostMAC, source: peerMAC, tags: [VLANTag(vid: 1)], etherType: .ipv4).emit(payload: []).prefix(17))
        withBytes(f) { #expect(EthernetFrame.parse($0).error == .truncated(.vlan, need: 18, have: 17)) }
    }

    @Test func unknownEtherTypeIsData() {
        #expect(EtherType(0x88cc) == .unknown(0x88cc))
        #expect(EtherType(0x88cc).description == "ethertype 0x88cc")
        #expect(EtherType(0x0800).rawValue == 0x0800)
    }
}

@Suite struct ARPTests {
    @Test func roundTrip() throws {
        let a = ARPHeader(operation: .request, senderHardwareAddress: peerMAC, senderProtocolAddress: IPv4Address(10, 1, 0, 1),
                          targetHardwareAddress: .zero, targetProtocolAddress: IPv4Address(10, 1, 0, 2))
        try withBytes(a.emit()) { b in
            let p = try #require(ARPPacket.parse(b).value)
            #expect(p.operation == .request)
            #expect(p.senderHardwareAddress == peerMAC && p.senderProtocolAddress == IPv4Address(10, 1, 0, 1))
            #expect(p.targetProtocolAddress == IPv4Address(10, 1, 0, 2) && p.targetHardwareAddress == .zero)
        }
    }

    @Test func otherFormatsAndTruncation() {
        var a = ARPHeader(operation: .reply, senderHardwareAddress: peerMAC, senderProtocolAddress: .any,
                          targetHardwareAddress: .zero, targetProtocolAddress: .any).emit()
        withBytes(Array(a.prefix(27))) { #expect(ARPPacket.parse($0).error == .truncated(.arp, need: 28, have: 27)) }
        withBytes(Array(a.prefix(7))) { #expect(ARPPacket.parse($0).error == .truncated(.arp, need: 8, have: 7)) }
        a[1] = 6  // hardware type IEEE 802
        withBytes(a) {
            guard case .unsupportedFormat(.arp, _)? = ARPPacket.parse($0).error else { Issue.record("expected unsupportedFormat"); return }
        }
    }
}

@Suite struct IPv6Tests {
    @Test func roundTrip() throws {
        let h = IPv6Header(source: IPv6Address("fd00::1")!, destination: IPv6Address("fd00::2")!, nextHeader: .udp,
                           hopLimit: 7, trafficClass: 0xb8, flowLabel: 0x12345)
        try withBytes(h.emit(payload: [1, 2, 3, 4])) { b in
            let p = try #require(IPv6Packet.parse(b).value)
            #expect(p.version == 6 && p.trafficClass == 0xb8 && p.flowLabel == 0x12345)
            #expect(p.payloadLength == 4 && p.nextHeader == .udp && p.hopLimit == 7)
            #expect(p.source.description == "fd00::1" && p.destination.description == "fd00::2")
            #expect(Array(p.payload) == [1, 2, 3, 4])
        }
    }

    @Test func rejects() {
        withBytes([UInt8](repeating: 0x60, count: 39)) { #expect(IPv6Packet.parse($0).error == .truncated(.ipv6, need: 40, have: 39)) }
        withBytes([UInt8](repeating: 0x40, count: 40)) { #expect(IPv6Packet.parse($0).error == .badVersion(.ipv6, 4)) }
    }
}

@Suite struct LinkLayerTests {
    let ip = KernelBytes.tcpSYN

    @Test func sll() throws {
        let f = LinkHeader.sll(packetType: .outgoing, source: hostMAC, protocol: .ipv4) + ip
        try withBytes(f) { b in
            let l = try #require(LinkFrame.decode(b, as: .linuxSLL).value)
            #expect(l.packetType == .outgoing && l.linkSource == hostMAC && l.networkProtocol == .ipv4)
            #expect(l.networkOffset == 16 && Array(l.network) == ip && l.interfaceIndex == nil)
        }
        withBytes(Array(f.prefix(15))) { #expect(LinkFrame.decode($0, as: .linuxSLL).error == .truncated(.sll, need: 16, have: 15)) }
    }

    @Test func sll2() throws {
        let f = LinkHeader.sll2(packetType: .otherHost, interfaceIndex: 7, source: peerMAC, protocol: .ipv4) + ip
        try withBytes(f) { b in
            let l = try #require(LinkFrame.decode(b, as: .linuxSLL2).value)
            #expect(l.packetType == .otherHost && l.interfaceIndex == 7 && l.linkSource == peerMAC)
            #expect(l.networkOffset == 20 && Array(l.network) == ip)
        }
        withBytes(Array(f.prefix(19))) { #expect(LinkFrame.decode($0, as: .linuxSLL2).error == .truncated(.sll2, need: 20, have: 19)) }
    }

    @Test func rawByVersionNibble() {
        withBytes(ip) { #expect(LinkFrame.decode($0, as: .raw).value?.networkProtocol == .ipv4) }
        withBytes([0x60] + [UInt8](repeating: 0, count: 39)) { #expect(LinkFrame.decode($0, as: .raw).value?.networkProtocol == .ipv6) }
        withBytes([0x10]) { #expect(LinkFrame.decode($0, as: .raw).value?.networkProtocol == .unknown(0)) }
        withBytes([]) { #expect(LinkFrame.decode($0, as: .raw).value?.networkProtocol == .unknown(0)) }
        // DLT_IPV4 says IPv4 whatever the nibble says (the IP layer then rejects the version).
        withBytes([0x60]) { #expect(LinkFrame.decode($0, as: .ipv4).value?.networkProtocol == .ipv4) }
    }

    @Test func nullInEitherByteOrderAndLoop() {
        withBytes(LinkHeader.null(family: 2) + ip) { #expect(LinkFrame.decode($0, as: .null).value?.networkProtocol == .ipv4) }
        withBytes([0, 0, 0, 2] + ip) { #expect(LinkFrame.decode($0, as: .null).value?.networkProtocol == .ipv4) }
        withBytes(LinkHeader.null(family: 30) + ip) { #expect(LinkFrame.decode($0, as: .null).value?.networkProtocol == .ipv6) }
        withBytes(LinkHeader.loop(family: 24) + ip) { #expect(LinkFrame.decode($0, as: .loop).value?.networkProtocol == .ipv6) }
        withBytes(LinkHeader.loop(family: 99) + ip) { #expect(LinkFrame.decode($0, as: .loop).value?.networkProtocol == .unknown(99)) }
        withBytes([0, 0, 2]) { #expect(LinkFrame.decode($0, as: .loop).error == .truncated(.loopback, need: 4, have: 3)) }
    }
}
