import Testing
@testable import Wire

@Suite struct AddressTests {
    @Test func ipv4ParsesAndPrints() {
        #expect(IPv4Address("10.1.0.2")?.value == 0x0a01_0002)
        #expect(IPv4Address(10, 1, 0, 2).description == "10.1.0.2")
        #expect(IPv4Address("255.255.255.255")?.isLimitedBroadcast == true)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", "1234.1.1.1"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
    }

    @Test func ipv4Classes() {
        #expect(IPv4Address("127.0.0.53")!.isLoopback)
        #expect(IPv4Address("224.0.0.1")!.isMulticast)
        #expect(IPv4Address("0.1.2.3")!.isZeroNet)
        #expect(IPv4Address("240.0.0.1")!.isReservedClassE)
        #expect(!IPv4Address("255.255.255.255")!.isReservedClassE)
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("fd00::2", "fd00::2"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),   // RFC 5952 4.2.3: the first of equal runs
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), // a single zero group is not compressed
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("FE80::FF:FE00:1", "fe80::ff:fe00:1"),
    ])
    func ipv6CanonicalText(input: String, canonical: String) {
        #expect(IPv6Address(input)?.description == canonical)
    }

    @Test func ipv6Rejects() {
        for bad in ["", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::1", "::1.2.3"] {
            #expect(IPv6Address(bad) == nil, "\(bad)")
        }
    }

    @Test func ipv6Classes() {
        #expect(IPv6Address("fe80::1")!.isLinkLocal)
        #expect(IPv6Address("ff02::1")!.isMulticast)
        #expect(!IPv6Address("fd00::1")!.isLinkLocal)
    }

    @Test func mac() {
        let m = MACAddress("02:00:00:00:00:fe")
        #expect(m?.description == "02:00:00:00:00:fe")
        #expect(MACAddress("ff:ff:ff:ff:ff:ff")!.isBroadcast)
        #expect(MACAddress("01:00:5e:00:00:01")!.isMulticast)
        #expect(!m!.isMulticast)
        #expect(MACAddress("02:00:00:00:00") == nil)
        #expect(MACAddress("02:00:00:00:00:zz") == nil)
        #expect(MACAddress("002:00:00:00:00:01") == nil)
    }

    @Test func hex() {
        #expect(hexString([0x00, 0xab, 0x10]) == "00ab10")
        #expect(bytes(fromHex: "00 ab\n10") == [0x00, 0xab, 0x10])
        #expect(bytes(fromHex: "abc") == nil)
        #expect(bytes(fromHex: "zz") == nil)
    }
}
