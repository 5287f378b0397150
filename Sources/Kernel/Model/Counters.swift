// SNMP counters under the names `nstat` prints (the /proc/net/snmp and netstat row prefix and
// field: IpInReceives, IpExtInOctets, UdpNoPorts, TcpExtIPReversePathFilter, …).

/// One SNMP counter, as a small number: a frame's counters are compared and totalled by it, and
/// its name is looked up only when printed.
public struct SNMPCounter: Hashable, Sendable, Comparable {
    let id: UInt16
    init(_ id: UInt16) { self.id = id }

    /// The id as an array index (totals keep one slot per counter).
    public var index: Int { Int(id) }
    public init(index: Int) { id = UInt16(index) }

    /// The nstat name.
    public var name: String { Self.names[Int(id)] }
    public static func < (a: SNMPCounter, b: SNMPCounter) -> Bool { a.name < b.name }

    /// How many there are (ids run from 0 to count - 1).
    public static var count: Int { names.count }

    /// IcmpMsgInType<N> / IcmpMsgOutType<N> (the per-type rows of /proc/net/snmp's IcmpMsg).
    public static func IcmpMsgInType(_ type: UInt8) -> SNMPCounter { SNMPCounter(UInt16(fixed.count) + UInt16(type)) }
    public static func IcmpMsgOutType(_ type: UInt8) -> SNMPCounter { SNMPCounter(UInt16(fixed.count) + 256 + UInt16(type)) }
    /// Icmp6InType<N> / Icmp6OutType<N> (/proc/net/snmp6's per-type rows).
    public static func Icmp6InType(_ type: UInt8) -> SNMPCounter { SNMPCounter(UInt16(fixed.count) + 512 + UInt16(type)) }
    public static func Icmp6OutType(_ type: UInt8) -> SNMPCounter { SNMPCounter(UInt16(fixed.count) + 768 + UInt16(type)) }

    /// The counters the model bumps, in the order of their ids.
    static let fixed: [String] = [
        "IcmpInAddrMaskReps",
        "IcmpInAddrMasks",
        "IcmpInCsumErrors",
        "IcmpInDestUnreachs",
        "IcmpInEchoReps",
        "IcmpInEchos",
        "IcmpInErrors",
        "IcmpInMsgs",
        "IcmpInParmProbs",
        "IcmpInRedirects",
        "IcmpInSrcQuenchs",
        "IcmpInTimeExcds",
        "IcmpInTimestampReps",
        "IcmpInTimestamps",
        "IcmpOutAddrMaskReps",
        "IcmpOutAddrMasks",
        "IcmpOutDestUnreachs",
        "IcmpOutEchoReps",
        "IcmpOutEchos",
        "IcmpOutMsgs",
        "IcmpOutParmProbs",
        "IcmpOutRedirects",
        "IcmpOutSrcQuenchs",
        "IcmpOutTimeExcds",
        "IcmpOutTimestampReps",
        "IcmpOutTimestamps",
        "IpExtInBcastOctets",
        "IpExtInBcastPkts",
        "IpExtInCEPkts",
        "IpExtInCsumErrors",
        "IpExtInECT0Pkts",
        "IpExtInECT1Pkts",
        "IpExtInMcastOctets",
        "IpExtInMcastPkts",
        "IpExtInNoECTPkts",
        "IpExtInOctets",
        "IpExtInTruncatedPkts",
        "IpExtOutBcastOctets",
        "IpExtOutBcastPkts",
        "IpExtOutOctets",
        "IpExtReasmOverlaps",
        "IpForwDatagrams",
        "IpFragCreates",
        "IpFragFails",
        "IpFragOKs",
        "IpInAddrErrors",
        "IpInDelivers",
        "IpInHdrErrors",
        "IpExtInNoRoutes",
        "IpInReceives",
        "IpInUnknownProtos",
        "IpOutNoRoutes",
        "IpOutRequests",
        "IpOutTransmits",
        "IpReasmFails",
        "IpReasmOKs",
        "IpReasmReqds",
        "IpReasmTimeout",
        "TcpActiveOpens",
        "TcpExtEmbryonicRsts",
        "TcpExtDelayedACKs",
        "TcpExtIPReversePathFilter",
        "TcpExtTCPPureAcks",
        "TcpExtTCPRcvCoalesce",
        "TcpInCsumErrors",
        "TcpInErrs",
        "TcpInSegs",
        "TcpOutRsts",
        "TcpOutSegs",
        "TcpPassiveOpens",
        "UdpIgnoredMulti",
        "UdpInCsumErrors",
        "UdpInErrors",
        "UdpNoPorts",
        "UdpOutDatagrams",
        "TcpAttemptFails",
        "TcpRetransSegs",
        "TcpExtTCPSynRetrans",
        "TcpExtTCPTimeouts",
        "TcpExtTCPDelivered",
        "TcpExtPAWSActive",
        "TcpExtTcpTimeoutRehash",
        "TcpExtTCPHPHits",
        "TcpExtTCPHPAcks",
        "TcpExtTW",
        "TcpExtTCPOrigDataSent",
        "Ip6InReceives",
        "Ip6InHdrErrors",
        "Ip6InTooBigErrors",
        "Ip6InNoRoutes",
        "Ip6InAddrErrors",
        "Ip6InUnknownProtos",
        "Ip6InTruncatedPkts",
        "Ip6InDiscards",
        "Ip6InDelivers",
        "Ip6OutForwDatagrams",
        "Ip6OutRequests",
        "Ip6OutDiscards",
        "Ip6OutNoRoutes",
        "Ip6ReasmTimeout",
        "Ip6ReasmReqds",
        "Ip6ReasmOKs",
        "Ip6ReasmFails",
        "Ip6FragOKs",
        "Ip6FragFails",
        "Ip6FragCreates",
        "Ip6InMcastPkts",
        "Ip6OutMcastPkts",
        "Ip6InOctets",
        "Ip6OutOctets",
        "Ip6InMcastOctets",
        "Ip6OutMcastOctets",
        "Ip6InNoECTPkts",
        "Ip6InECT1Pkts",
        "Ip6InECT0Pkts",
        "Ip6InCEPkts",
        "Ip6OutTransmits",
        "Icmp6InMsgs",
        "Icmp6InErrors",
        "Icmp6OutMsgs",
        "Icmp6OutErrors",
        "Icmp6InCsumErrors",
        "Icmp6OutRateLimitHost",
        "Udp6InDatagrams",
        "Udp6NoPorts",
        "Udp6InErrors",
        "Udp6OutDatagrams",
        "Udp6RcvbufErrors",
        "Udp6InCsumErrors",
        "Udp6IgnoredMulti",
        "Icmp6InDestUnreachs",
        "Icmp6InPktTooBigs",
        "Icmp6InTimeExcds",
        "Icmp6InParmProblems",
        "Icmp6InEchos",
        "Icmp6InEchoReplies",
        "Icmp6InGroupMembQueries",
        "Icmp6InGroupMembResponses",
        "Icmp6InGroupMembReductions",
        "Icmp6InRouterSolicits",
        "Icmp6InRouterAdvertisements",
        "Icmp6InNeighborSolicits",
        "Icmp6InNeighborAdvertisements",
        "Icmp6InRedirects",
        "Icmp6InMLDv2Reports",
        "Icmp6OutDestUnreachs",
        "Icmp6OutPktTooBigs",
        "Icmp6OutTimeExcds",
        "Icmp6OutParmProblems",
        "Icmp6OutEchos",
        "Icmp6OutEchoReplies",
        "Icmp6OutGroupMembQueries",
        "Icmp6OutGroupMembResponses",
        "Icmp6OutGroupMembReductions",
        "Icmp6OutRouterSolicits",
        "Icmp6OutRouterAdvertisements",
        "Icmp6OutNeighborSolicits",
        "Icmp6OutNeighborAdvertisements",
        "Icmp6OutRedirects",
        "Icmp6OutMLDv2Reports",
        "TcpExtTCPChallengeACK",
        "TcpExtTCPACKSkippedSynRecv",
        "TcpExtTCPACKSkippedChallenge",
        "IpOutDiscards",
        "IpExtOutMcastPkts",
        "IpExtOutMcastOctets",
        "IcmpOutRateLimitHost",
        "IcmpOutRateLimitGlobal",
        "UdpInDatagrams",
        "UdpRcvbufErrors",
    ]
    static let names: [String] = fixed + (0..<256).map { "IcmpMsgInType\($0)" } + (0..<256).map { "IcmpMsgOutType\($0)" }
        + (0..<256).map { "Icmp6InType\($0)" } + (0..<256).map { "Icmp6OutType\($0)" }

    public static let IcmpInAddrMaskReps = SNMPCounter(0)
    public static let IcmpInAddrMasks = SNMPCounter(1)
    public static let IcmpInCsumErrors = SNMPCounter(2)
    public static let IcmpInDestUnreachs = SNMPCounter(3)
    public static let IcmpInEchoReps = SNMPCounter(4)
    public static let IcmpInEchos = SNMPCounter(5)
    public static let IcmpInErrors = SNMPCounter(6)
    public static let IcmpInMsgs = SNMPCounter(7)
    public static let IcmpInParmProbs = SNMPCounter(8)
    public static let IcmpInRedirects = SNMPCounter(9)
    public static let IcmpInSrcQuenchs = SNMPCounter(10)
    public static let IcmpInTimeExcds = SNMPCounter(11)
    public static let IcmpInTimestampReps = SNMPCounter(12)
    public static let IcmpInTimestamps = SNMPCounter(13)
    public static let IcmpOutAddrMaskReps = SNMPCounter(14)
    public static let IcmpOutAddrMasks = SNMPCounter(15)
    public static let IcmpOutDestUnreachs = SNMPCounter(16)
    public static let IcmpOutEchoReps = SNMPCounter(17)
    public static let IcmpOutEchos = SNMPCounter(18)
    public static let IcmpOutMsgs = SNMPCounter(19)
    public static let IcmpOutParmProbs = SNMPCounter(20)
    public static let IcmpOutRedirects = SNMPCounter(21)
    public static let IcmpOutSrcQuenchs = SNMPCounter(22)
    public static let IcmpOutTimeExcds = SNMPCounter(23)
    public static let IcmpOutTimestampReps = SNMPCounter(24)
    public static let IcmpOutTimestamps = SNMPCounter(25)
    public static let IpExtInBcastOctets = SNMPCounter(26)
    public static let IpExtInBcastPkts = SNMPCounter(27)
    public static let IpExtInCEPkts = SNMPCounter(28)
    public static let IpExtInCsumErrors = SNMPCounter(29)
    public static let IpExtInECT0Pkts = SNMPCounter(30)
    public static let IpExtInECT1Pkts = SNMPCounter(31)
    public static let IpExtInMcastOctets = SNMPCounter(32)
    public static let IpExtInMcastPkts = SNMPCounter(33)
    public static let IpExtInNoECTPkts = SNMPCounter(34)
    public static let IpExtInOctets = SNMPCounter(35)
    public static let IpExtInTruncatedPkts = SNMPCounter(36)
    public static let IpExtOutBcastOctets = SNMPCounter(37)
    public static let IpExtOutBcastPkts = SNMPCounter(38)
    public static let IpExtOutOctets = SNMPCounter(39)
    public static let IpExtReasmOverlaps = SNMPCounter(40)
    public static let IpForwDatagrams = SNMPCounter(41)
    public static let IpFragCreates = SNMPCounter(42)
    public static let IpFragFails = SNMPCounter(43)
    public static let IpFragOKs = SNMPCounter(44)
    public static let IpInAddrErrors = SNMPCounter(45)
    public static let IpInDelivers = SNMPCounter(46)
    public static let IpInHdrErrors = SNMPCounter(47)
    public static let IpExtInNoRoutes = SNMPCounter(48)
    public static let IpInReceives = SNMPCounter(49)
    public static let IpInUnknownProtos = SNMPCounter(50)
    public static let IpOutNoRoutes = SNMPCounter(51)
    public static let IpOutRequests = SNMPCounter(52)
    public static let IpOutTransmits = SNMPCounter(53)
    public static let IpReasmFails = SNMPCounter(54)
    public static let IpReasmOKs = SNMPCounter(55)
    public static let IpReasmReqds = SNMPCounter(56)
    public static let IpReasmTimeout = SNMPCounter(57)
    public static let TcpActiveOpens = SNMPCounter(58)
    public static let TcpExtEmbryonicRsts = SNMPCounter(59)
    public static let TcpExtDelayedACKs = SNMPCounter(60)
    public static let TcpExtIPReversePathFilter = SNMPCounter(61)
    public static let TcpExtTCPPureAcks = SNMPCounter(62)
    public static let TcpExtTCPRcvCoalesce = SNMPCounter(63)
    public static let TcpInCsumErrors = SNMPCounter(64)
    public static let TcpInErrs = SNMPCounter(65)
    public static let TcpInSegs = SNMPCounter(66)
    public static let TcpOutRsts = SNMPCounter(67)
    public static let TcpOutSegs = SNMPCounter(68)
    public static let TcpPassiveOpens = SNMPCounter(69)
    public static let UdpIgnoredMulti = SNMPCounter(70)
    public static let UdpInCsumErrors = SNMPCounter(71)
    public static let UdpInErrors = SNMPCounter(72)
    public static let UdpNoPorts = SNMPCounter(73)
    public static let UdpOutDatagrams = SNMPCounter(74)
    public static let TcpAttemptFails = SNMPCounter(75)
    public static let TcpRetransSegs = SNMPCounter(76)
    public static let TcpExtTCPSynRetrans = SNMPCounter(77)
    public static let TcpExtTCPTimeouts = SNMPCounter(78)
    public static let TcpExtTCPDelivered = SNMPCounter(79)
    public static let TcpExtPAWSActive = SNMPCounter(80)
    public static let TcpExtTcpTimeoutRehash = SNMPCounter(81)
    public static let TcpExtTCPHPHits = SNMPCounter(82)
    public static let TcpExtTCPHPAcks = SNMPCounter(83)
    public static let TcpExtTW = SNMPCounter(84)
    public static let TcpExtTCPOrigDataSent = SNMPCounter(85)
    public static let Ip6InReceives = SNMPCounter(86)
    public static let Ip6InHdrErrors = SNMPCounter(87)
    public static let Ip6InTooBigErrors = SNMPCounter(88)
    public static let Ip6InNoRoutes = SNMPCounter(89)
    public static let Ip6InAddrErrors = SNMPCounter(90)
    public static let Ip6InUnknownProtos = SNMPCounter(91)
    public static let Ip6InTruncatedPkts = SNMPCounter(92)
    public static let Ip6InDiscards = SNMPCounter(93)
    public static let Ip6InDelivers = SNMPCounter(94)
    public static let Ip6OutForwDatagrams = SNMPCounter(95)
    public static let Ip6OutRequests = SNMPCounter(96)
    public static let Ip6OutDiscards = SNMPCounter(97)
    public static let Ip6OutNoRoutes = SNMPCounter(98)
    public static let Ip6ReasmTimeout = SNMPCounter(99)
    public static let Ip6ReasmReqds = SNMPCounter(100)
    public static let Ip6ReasmOKs = SNMPCounter(101)
    public static let Ip6ReasmFails = SNMPCounter(102)
    public static let Ip6FragOKs = SNMPCounter(103)
    public static let Ip6FragFails = SNMPCounter(104)
    public static let Ip6FragCreates = SNMPCounter(105)
    public static let Ip6InMcastPkts = SNMPCounter(106)
    public static let Ip6OutMcastPkts = SNMPCounter(107)
    public static let Ip6InOctets = SNMPCounter(108)
    public static let Ip6OutOctets = SNMPCounter(109)
    public static let Ip6InMcastOctets = SNMPCounter(110)
    public static let Ip6OutMcastOctets = SNMPCounter(111)
    public static let Ip6InNoECTPkts = SNMPCounter(112)
    public static let Ip6InECT1Pkts = SNMPCounter(113)
    public static let Ip6InECT0Pkts = SNMPCounter(114)
    public static let Ip6InCEPkts = SNMPCounter(115)
    public static let Ip6OutTransmits = SNMPCounter(116)
    public static let Icmp6InMsgs = SNMPCounter(117)
    public static let Icmp6InErrors = SNMPCounter(118)
    public static let Icmp6OutMsgs = SNMPCounter(119)
    public static let Icmp6OutErrors = SNMPCounter(120)
    public static let Icmp6InCsumErrors = SNMPCounter(121)
    public static let Icmp6OutRateLimitHost = SNMPCounter(122)
    public static let Udp6InDatagrams = SNMPCounter(123)
    public static let Udp6NoPorts = SNMPCounter(124)
    public static let Udp6InErrors = SNMPCounter(125)
    public static let Udp6OutDatagrams = SNMPCounter(126)
    public static let Udp6RcvbufErrors = SNMPCounter(127)
    public static let Udp6InCsumErrors = SNMPCounter(128)
    public static let Udp6IgnoredMulti = SNMPCounter(129)
    public static let Icmp6InDestUnreachs = SNMPCounter(130)
    public static let Icmp6InPktTooBigs = SNMPCounter(131)
    public static let Icmp6InTimeExcds = SNMPCounter(132)
    public static let Icmp6InParmProblems = SNMPCounter(133)
    public static let Icmp6InEchos = SNMPCounter(134)
    public static let Icmp6InEchoReplies = SNMPCounter(135)
    public static let Icmp6InGroupMembQueries = SNMPCounter(136)
    public static let Icmp6InGroupMembResponses = SNMPCounter(137)
    public static let Icmp6InGroupMembReductions = SNMPCounter(138)
    public static let Icmp6InRouterSolicits = SNMPCounter(139)
    public static let Icmp6InRouterAdvertisements = SNMPCounter(140)
    public static let Icmp6InNeighborSolicits = SNMPCounter(141)
    public static let Icmp6InNeighborAdvertisements = SNMPCounter(142)
    public static let Icmp6InRedirects = SNMPCounter(143)
    public static let Icmp6InMLDv2Reports = SNMPCounter(144)
    public static let Icmp6OutDestUnreachs = SNMPCounter(145)
    public static let Icmp6OutPktTooBigs = SNMPCounter(146)
    public static let Icmp6OutTimeExcds = SNMPCounter(147)
    public static let Icmp6OutParmProblems = SNMPCounter(148)
    public static let Icmp6OutEchos = SNMPCounter(149)
    public static let Icmp6OutEchoReplies = SNMPCounter(150)
    public static let Icmp6OutGroupMembQueries = SNMPCounter(151)
    public static let Icmp6OutGroupMembResponses = SNMPCounter(152)
    public static let Icmp6OutGroupMembReductions = SNMPCounter(153)
    public static let Icmp6OutRouterSolicits = SNMPCounter(154)
    public static let Icmp6OutRouterAdvertisements = SNMPCounter(155)
    public static let Icmp6OutNeighborSolicits = SNMPCounter(156)
    public static let Icmp6OutNeighborAdvertisements = SNMPCounter(157)
    public static let Icmp6OutRedirects = SNMPCounter(158)
    public static let Icmp6OutMLDv2Reports = SNMPCounter(159)
    public static let TcpExtTCPChallengeACK = SNMPCounter(160)
    public static let TcpExtTCPACKSkippedSynRecv = SNMPCounter(161)
    public static let TcpExtTCPACKSkippedChallenge = SNMPCounter(162)
    public static let IpOutDiscards = SNMPCounter(163)
    public static let IpExtOutMcastPkts = SNMPCounter(164)
    public static let IpExtOutMcastOctets = SNMPCounter(165)
    public static let IcmpOutRateLimitHost = SNMPCounter(166)
    public static let IcmpOutRateLimitGlobal = SNMPCounter(167)
    public static let UdpInDatagrams = SNMPCounter(168)
    public static let UdpRcvbufErrors = SNMPCounter(169)

    /// The named row /proc/net/snmp6 shows for an ICMPv6 type (Icmp6InEchos for 128, …), next to
    /// its Icmp6InType<N> row: both come from the per-type counter.
    static func icmp6Named(_ type: UInt8, out: Bool) -> SNMPCounter? {
        let order: [UInt8] = [1, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 143]
        guard let k = order.firstIndex(of: type) else { return nil }
        return SNMPCounter(UInt16(Icmp6InDestUnreachs.id) + (out ? UInt16(order.count) : 0) + UInt16(k))
    }
}

/// One frame's counter deltas: a handful of (counter, delta) pairs searched in order.
public struct Counters: Equatable, Sendable {
    private var ids: [SNMPCounter] = []
    private var counts: [Int] = []

    public init() {}

    public mutating func inc(_ counter: SNMPCounter, by n: Int = 1) {
        if let i = ids.firstIndex(of: counter) { counts[i] += n; return }
        if ids.isEmpty { ids.reserveCapacity(16); counts.reserveCapacity(16) }   // a frame bumps about a dozen
        ids.append(counter)
        counts.append(n)
    }

    public var isEmpty: Bool { ids.isEmpty }

    /// No counters, the storage kept (the next frame's bumps reuse it).
    public mutating func removeAll() {
        ids.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
    }
    /// The counters bumped, in the order first bumped, and their deltas (parallel arrays).
    public var bumpedCounters: [SNMPCounter] { ids }
    public var bumpedDeltas: [Int] { counts }

    /// The same counters in storage of their own, no larger than they need.
    public func compacted() -> Counters {
        var c = Counters()
        c.ids = ids.withUnsafeBufferPointer { Array($0) }
        c.counts = counts.withUnsafeBufferPointer { Array($0) }
        return c
    }

    /// The deltas by name.
    public var deltas: [String: Int] { Dictionary(uniqueKeysWithValues: zip(ids.map(\.name), counts)) }
    /// Sorted by name, as nstat sorts them.
    public var sorted: [(String, Int)] { zip(ids.map(\.name), counts).sorted { $0.0 < $1.0 } }
    /// Each counter and its delta, in the order they were first bumped.
    public func forEach(_ body: (SNMPCounter, Int) -> Void) { for (c, n) in zip(ids, counts) { body(c, n) } }

    public static func == (a: Counters, b: Counters) -> Bool { a.deltas == b.deltas }
}
