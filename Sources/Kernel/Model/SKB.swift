// The socket buffer as far as the model needs it: the packet bytes, where the network header is,
// the device, the packet type and the route attached to it (skb_dst).
import HostModel
import Wire

public final class SKB {
    /// The frame as received (link header included).
    public var frame: [UInt8]
    /// Offset of the network header in `frame` (skb->network_header).
    public var networkOffset: Int
    /// skb->len from the network header on (trimmed to tot_len by ip_rcv_core).
    public var length: Int
    public var dev: Interface
    public var pktType: PacketType
    public var proto: EtherType
    public var mark: UInt32 = 0
    /// An 802.1Q/802.1ad tag was on the frame (skb_vlan_untag would take it off).
    public var vlanTagged = false
    public var vlanID: UInt16 = 0
    /// Why the frame is PACKET_OTHERHOST when it is not the destination MAC.
    public var otherHostBecause: String?
    /// skb_dst(): set by the input route lookup.
    public var dst: InputRoute?
    /// skb->sk as udp_v4_early_demux set it: the socket the datagram is for, found before the
    /// route (__udp4_lib_rcv takes it: skb_steal_sock).
    var earlyDemuxSocket: UDPLookup?
    /// Bytes at the end of the frame the capture did not hold (snap length), zeros here.
    public var uncaptured = 0
    /// skb->ip_summed: how far the transport checksum is already known good.
    public var ipSummed: IPSummed = .none
    /// IPCB(skb)->flags & IPSKB_DOREDIRECT: __mkroute_input found the packet leaves by the
    /// device it came in on, toward a next hop on the sender's own subnet.
    public var doRedirect = false
    /// IPCB(skb)->opt.srr: ip_options_compile found a loose or strict source route.
    public var sourceRouted = false
    /// IPCB(skb)->frag_max_size: the largest fragment of a reassembled datagram.
    public var fragMaxSize: Int?
    /// skb->truesize: what the buffer costs the queue holding it (Kernel.rxTruesize; a
    /// reassembled datagram's is its fragments' sum, as inet_frag_reasm_finish adds them).
    public var truesize = 0
    /// skb->head_frag: the head is a page fragment (the driver's buffer), which skb_try_coalesce
    /// can take over; not a kmalloc'ed head (Kernel.rxHeadIsPageFragment).
    public var headFrag = false
    /// The truesize of a page fragment holding the frame's data past a small copied head
    /// (virtio_net's page_to_skb for a frame its buffer cannot be built around: skb_shinfo's
    /// nr_frags 1, and once the headers are pulled, nothing left in the head); 0 when the data
    /// is all in the head.
    public var pagedTruesize = 0
    /// The capture saw the frame on this host (Linux cooked: a packet type): it passed the
    /// packet taps in __netif_receive_skb_core, after the backlog and the driver's ring.
    public var tappedOnHost = false
    /// IP6CB(skb): what the IPv6 receive path learns of the headers as it walks them.
    var ip6cb = IP6CB()
    /// skb_dst() of an IPv6 skb (see `dst6`).
    var route6: Route6?

    public init(frame: [UInt8], networkOffset: Int, dev: Interface, pktType: PacketType, proto: EtherType) {
        self.frame = frame
        self.networkOffset = networkOffset
        self.length = frame.count - networkOffset
        self.dev = dev
        self.pktType = pktType
        self.proto = proto
    }

    /// skb->ip_summed values the model tells apart (include/linux/skbuff.h).
    public enum IPSummed: Sendable {
        /// CHECKSUM_NONE: the stack verifies the checksum itself.
        case none
        /// CHECKSUM_PARTIAL: a local sender left the checksum to the device; the skb crossed to
        /// us without one (veth, loopback), and `skb_csum_unnecessary` trusts it.
        case partial
    }

    /// The TCP or UDP checksum field of an unfragmented IPv4 packet holds only the pseudo-header
    /// sum: the sender's CHECKSUM_PARTIAL (see `InternetChecksum.isPseudoHeaderOnly`).
    var transportChecksumIsPartial: Bool { withIPv4 { $0.partialChecksum != nil } }

    /// max(1, gso_segs): a TCP packet longer than its device's MTU is a super-packet (its sender's
    /// TSO, passed on whole by veth) of segments its sender's MSS — the MTU less the headers — cut.
    var gsoSegments: Int {
        guard length > dev.mtu else { return 1 }
        return withIPv4 { ip in
            guard ip.protocolNumber == 6, ip.payload.count >= 20 else { return 1 }
            let header = Int(ip.payload[12] >> 4) * 4
            let mss = dev.mtu - ip.headerLength - header
            return mss > 0 ? max(1, (ip.payload.count - header + mss - 1) / mss) : 1
        }
    }

    /// The network header and what follows, up to `length`.
    public var network: [UInt8] { Array(frame[networkOffset..<min(frame.count, networkOffset + length)]) }

    /// Runs `body` over the IPv4 header view (the caller has checked there are 20 bytes).
    /// (A view into `frame`, not a copy: the receive path reads the header many times a frame.)
    func withIPv4<R>(_ body: (IPv4Packet) -> R) -> R {
        frame.withUnsafeBytes { raw in
            let net = UnsafeRawBufferPointer(rebasing: raw[networkOffset..<min(raw.count, networkOffset + length)])
            return body(IPv4Packet.parseFixedHeader(net).value!)
        }
    }
}

extension SKB {
    /// Runs `body` over the IPv6 fixed header view (the caller has checked there are 40 bytes).
    func withIPv6<R>(_ body: (IPv6Packet) -> R) -> R {
        frame.withUnsafeBytes { raw in
            let net = UnsafeRawBufferPointer(rebasing: raw[networkOffset..<min(raw.count, networkOffset + length)])
            return body(IPv6Packet(bytes: net))
        }
    }

    /// The bytes from `offset` (from the network header) to the end of the packet.
    func networkBytes(from offset: Int) -> [UInt8] {
        let start = min(frame.count, networkOffset + offset), end = min(frame.count, networkOffset + length)
        return start < end ? Array(frame[start..<end]) : []
    }
}

/// struct inet6_skb_parm (IP6CB): offsets from the network header.
struct IP6CB {
    /// nhoff: where the next-header byte of the last header walked is.
    var nhoff = 6
    /// The transport header (skb->transport_header): after the headers walked so far.
    var transport = 40
    /// The Router Alert option's value (IP6SKB_ROUTERALERT), when the hop-by-hop header had one.
    var ra: UInt16?
    /// Where the hop-by-hop header was (opt->hop), when there was one.
    var hop: Int?
}
