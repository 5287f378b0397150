// Link and network addresses as small value types, printed as `ip` and tcpdump print them.

public struct MACAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var octets: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        octets = (a, b, c, d, e, f)
    }

    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        octets = (bytes[offset], bytes[offset + 1], bytes[offset + 2],
                  bytes[offset + 3], bytes[offset + 4], bytes[offset + 5])
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (the form `ip -j` prints).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var b = [UInt8]()
        for p in parts {
            guard p.count >= 1, p.count <= 2, let v = UInt8(p, radix: 16) else { return nil }
            b.append(v)
        }
        octets = (b[0], b[1], b[2], b[3], b[4], b[5])
    }

    public static let broadcast = MACAddress(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
    public static let zero = MACAddress(0, 0, 0, 0, 0, 0)

    public var bytes: [UInt8] { [octets.0, octets.1, octets.2, octets.3, octets.4, octets.5] }
    public var isBroadcast: Bool { self == .broadcast }
    /// The group bit: multicast and broadcast.
    public var isMulticast: Bool { octets.0 & 1 == 1 }

    public var description: String {
        var out: [UInt8] = []
        appendText(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// aa:bb:cc:dd:ee:ff appended to `out` as ASCII (what `description` is made of).
    public func appendText(to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: octets) { octets in
            for (i, b) in octets.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ":")) }
                out.append(hex.utf8Start[Int(b >> 4)]); out.append(hex.utf8Start[Int(b & 0xf)])
            }
        }
    }

    public static func == (l: MACAddress, r: MACAddress) -> Bool { l.octets == r.octets }
    public func hash(into h: inout Hasher) {
        h.combine(octets.0); h.combine(octets.1); h.combine(octets.2)
        h.combine(octets.3); h.combine(octets.4); h.combine(octets.5)
    }
    public static func < (l: MACAddress, r: MACAddress) -> Bool { l.bytes.lexicographicallyPrecedes(r.bytes) }
}

public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Host-order value: 10.0.0.1 is 0x0a000001.
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Dotted quad: four decimal parts of one to three digits, each at most 255. Scanned as
    /// bytes (a snapshot of 100,000 routes parses twice as many addresses).
    public init?(_ text: some StringProtocol) {
        guard let v = text.utf8.withContiguousStorageIfAvailable({ Self.parse($0) }) ?? Self.parse(Array(text.utf8)) else { return nil }
        value = v
    }

    static func parse<C: Collection<UInt8>>(_ bytes: C) -> UInt32? {
        var v: UInt32 = 0, part: UInt32 = 0, digits = 0, dots = 0
        for c in bytes {
            if c == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                v = v << 8 | part
                dots += 1; part = 0; digits = 0
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                digits += 1
                part = part * 10 + UInt32(c - UInt8(ascii: "0"))
                guard digits <= 3, part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, dots == 3 else { return nil }
        return v << 8 | part
    }

    public static let any = IPv4Address(0)
    public static let broadcast = IPv4Address(0xffff_ffff)

    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }
    public var isUnspecified: Bool { value == 0 }
    public var isLoopback: Bool { value >> 24 == 127 }
    public var isMulticast: Bool { value >> 28 == 0xe }
    public var isLimitedBroadcast: Bool { value == 0xffff_ffff }
    /// The Ethernet address of this multicast group (ip_eth_mc_map, RFC 1112: 01:00:5e and the
    /// group's low 23 bits).
    public var multicastMAC: MACAddress {
        MACAddress(0x01, 0x00, 0x5e, UInt8((value >> 16) & 0x7f), UInt8((value >> 8) & 0xff), UInt8(value & 0xff))
    }
    /// 224.0.0.0/24, never forwarded (ipv4_is_local_multicast).
    public var isLocalMulticast: Bool { value >> 8 == 0xe00000 }
    /// 224.0.0.1, which every IPv4 device joins when it comes up (ip_mc_up).
    public static let allHosts = IPv4Address(224, 0, 0, 1)
    /// 0.0.0.0/8 ("this network"), which the kernel treats as a zeronet martian.
    public var isZeroNet: Bool { value >> 24 == 0 }
    /// 240.0.0.0/4 without the limited broadcast (the kernel's ipv4_is_lbcast / "class E").
    public var isReservedClassE: Bool { value >> 28 == 0xf && value != 0xffff_ffff }

    /// Dotted quad, written digit by digit into the string's own storage (interpolating four
    /// numbers cost more than the rest of a frame's summary).
    public var description: String {
        String(unsafeUninitializedCapacity: 15) { write(into: $0) }
    }

    /// The dotted quad appended to `out` as ASCII (no string made).
    public func appendDottedQuad(to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buf in
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[..<write(into: buf)]))
        }
    }

    /// Writes the dotted quad into `buf` (15 bytes at least); returns how many bytes it took.
    private func write(into buf: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var n = 0, shift = 24
        while shift >= 0 {
            let o = Int((value >> UInt32(shift)) & 0xff)
            if o >= 100 { buf[n] = UInt8(ascii: "0") + UInt8(o / 100); n += 1 }
            if o >= 10 { buf[n] = UInt8(ascii: "0") + UInt8(o / 10 % 10); n += 1 }
            buf[n] = UInt8(ascii: "0") + UInt8(o % 10); n += 1
            if shift > 0 { buf[n] = UInt8(ascii: "."); n += 1 }
            shift -= 8
        }
        return n
    }
    public static func < (l: IPv4Address, r: IPv4Address) -> Bool { l.value < r.value }
}

public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[offset + i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[offset + i]) }
        high = h; low = l
    }

    /// Parses the RFC 4291 text forms, `::` compression and a trailing dotted quad included.
    public init?(_ text: some StringProtocol) {
        var groups: [UInt16] = []
        var tailGroups: [UInt16] = []
        var sawGap = false
        let s = String(text)
        guard !s.isEmpty, s.count <= 45 else { return nil }
        let halves = Self.split(s, on: "::")
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, f) in fields.enumerated() {
                if allowV4, i == fields.count - 1, f.contains(".") {
                    guard let v4 = IPv4Address(f) else { return nil }
                    out.append(UInt16(v4.value >> 16)); out.append(UInt16(v4.value & 0xffff))
                } else {
                    guard !f.isEmpty, f.count <= 4, let v = UInt16(f, radix: 16) else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        if halves.count == 2 {
            sawGap = true
            guard let a = parseGroups(halves[0], allowV4: false), let b = parseGroups(halves[1], allowV4: true) else { return nil }
            groups = a; tailGroups = b
            guard groups.count + tailGroups.count <= 7 else { return nil }
        } else {
            guard let a = parseGroups(halves[0], allowV4: true), a.count == 8 else { return nil }
            groups = a
        }
        if sawGap { groups += Array(repeating: 0, count: 8 - groups.count - tailGroups.count) + tailGroups }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        high = h; low = l
    }

    /// `text` cut at every occurrence of `separator` (Foundation's components(separatedBy:),
    /// which this Foundation-free module does not have).
    static func split(_ text: String, on separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(text)
        while let r = rest.firstRange(of: separator) {
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8((high >> (56 - 8 * UInt64($0))) & 0xff) } + (0..<8).map { UInt8((low >> (56 - 8 * UInt64($0))) & 0xff) }
    }
    var groups: [UInt16] {
        (0..<4).map { UInt16((high >> (48 - 16 * UInt64($0))) & 0xffff) } + (0..<4).map { UInt16((low >> (48 - 16 * UInt64($0))) & 0xffff) }
    }
    public var isMulticast: Bool { high >> 56 == 0xff }
    public var isLinkLocal: Bool { high >> 54 == 0x3fa }  // fe80::/10
    public var isUnspecified: Bool { high == 0 && low == 0 }

    /// RFC 5952 canonical text: lower case, longest run of two or more zero groups as `::`.
    public var description: String {
        let g = groups
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8 && g[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        func hex(_ r: ArraySlice<UInt16>) -> String { r.map { String($0, radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(g[0..<8]) }
        return hex(g[0..<bestStart]) + "::" + hex(g[(bestStart + bestLen)..<8])
    }
    public static func < (l: IPv6Address, r: IPv6Address) -> Bool { (l.high, l.low) < (r.high, r.low) }
}

/// Either family, where a model speaks of both (sockets, routes in a snapshot).
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(_ text: some StringProtocol) {
        if let a = IPv4Address(text) { self = .v4(a) }
        else if text.utf8.contains(UInt8(ascii: ":")), let a = IPv6Address(text) { self = .v6(a) }
        else { return nil }
    }
    public var description: String {
        switch self { case .v4(let a): a.description; case .v6(let a): a.description }
    }
    /// The address's text appended to `out`: IPv4 digit by digit, IPv6 as its description.
    public func appendText(to out: inout [UInt8]) {
        switch self {
        case .v4(let a): a.appendDottedQuad(to: &out)
        case .v6(let a): out.append(contentsOf: a.description.utf8)
        }
    }
    public var isV4: Bool { if case .v4 = self { true } else { false } }
    public var isMulticast: Bool {
        switch self { case .v4(let a): a.isMulticast; case .v6(let a): a.isMulticast }
    }
    public static func < (l: IPAddress, r: IPAddress) -> Bool {
        switch (l, r) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

extension IPv6Address {
    /// ff02::1, ff01::1, ff02::2, ff01::2, ff05::2 (RFC 4291 2.7.1).
    public static let allNodes = IPv6Address(high: 0xff02 << 48, low: 1)
    public static let interfaceLocalAllNodes = IPv6Address(high: 0xff01 << 48, low: 1)
    public static let allRouters = IPv6Address(high: 0xff02 << 48, low: 2)
    public static let interfaceLocalAllRouters = IPv6Address(high: 0xff01 << 48, low: 2)
    public static let siteLocalAllRouters = IPv6Address(high: 0xff05 << 48, low: 2)
    /// ::1.
    public static let loopback = IPv6Address(high: 0, low: 1)

    /// The solicited-node multicast group of this address: ff02::1:ffXX:XXXX (RFC 4291 2.7.1).
    public var solicitedNode: IPv6Address { IPv6Address(high: 0xff02 << 48, low: 0x1_ff00_0000 | (low & 0xff_ffff)) }
    /// ff02::1:ff00:0/104 (ipv6_addr_is_solict_mult).
    public var isSolicitedNodeMulticast: Bool { high == 0xff02 << 48 && low >> 24 == 0x1ff }
    /// The 4-bit scope of a multicast address (IPV6_ADDR_MC_SCOPE).
    public var multicastScope: UInt8 { UInt8((high >> 48) & 0xf) }
    public var isLoopback: Bool { high == 0 && low == 1 }
    /// ::ffff:a.b.c.d.
    public var isV4Mapped: Bool { high == 0 && low >> 32 == 0xffff }
    /// The Ethernet address a multicast group maps to: 33:33 and its low 32 bits (ipv6_eth_mc_map).
    public var multicastMAC: MACAddress {
        MACAddress(0x33, 0x33, UInt8((low >> 24) & 0xff), UInt8((low >> 16) & 0xff), UInt8((low >> 8) & 0xff), UInt8(low & 0xff))
    }
}
