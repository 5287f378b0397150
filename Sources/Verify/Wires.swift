// Packet sockets on the wire side of each host interface: one to inject frames into the host,
// the same one to see every frame the host puts on that wire.
import CLinux
import Foundation
import Wire
#if canImport(Glibc)
import Glibc
#endif

final class Wires {
    private var sockets: [String: Int32] = [:]
    /// A second socket per wire with PACKET_VNET_HDR, for frames whose TCP/UDP checksum holds only
    /// the pseudo-header sum: a capture shows a local sender's frames so (veth's checksum offload),
    /// and the kernel it came from handed them on CHECKSUM_PARTIAL, which the receiver trusts.
    private var partialSockets: [String: Int32] = [:]
    /// Each host interface's MTU: a TCP frame longer than it is a TSO super-packet.
    private var mtus: [String: Int] = [:]

    init(topology: Topology) throws {
        for i in topology.host.interfaces { mtus[i.name] = i.mtu }
        for (iface, w) in topology.wires {
            let fd = try inNetns(w.netns) { () -> Int32 in
                let fd = tracer_packet_socket(w.peer)
                guard fd >= 0 else { throw VerifyError("packet socket on \(w.peer): errno \(errno)") }
                return fd
            }
            sockets[iface] = fd
            partialSockets[iface] = try inNetns(w.netns) { () -> Int32 in
                let fd = tracer_packet_vnet_socket(w.peer)
                guard fd >= 0 else { throw VerifyError("vnet packet socket on \(w.peer): errno \(errno)") }
                return fd
            }
        }
    }

    var interfaces: [String] { sockets.keys.sorted() }

    /// Injects `frame`; returns the bytes put on the wire (a super-packet's checksum field is
    /// rewritten), which `drain` is to leave out.
    @discardableResult
    func send(_ frame: [UInt8], on iface: String) throws -> [UInt8] {
        guard let fd = sockets[iface] else { throw VerifyError("no wire for \(iface)") }
        if let s = Segment(frame), !s.v6, let mtu = mtus[iface], frame.count - 14 > mtu, let vfd = partialSockets[iface] {
            // A TSO super-packet (a capture on a sending host with offloads shows them): handed
            // over as one, GSO_TCPV4 with the segment size its sender's MSS made, the checksum
            // left to the device (its field the pseudo-header sum, as the sender's kernel left it).
            var f = frame
            let header = s.tcp + Int(f[s.tcp + 12] >> 4) * 4
            let length = f.count - s.tcp
            var sum = InternetChecksum.pseudoHeader(source: IPv4Address(s.source), destination: IPv4Address(s.destination), protocol: 6, length: length)
            while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
            f[s.tcp + 16] = UInt8(sum >> 8); f[s.tcp + 17] = UInt8(sum & 0xff)
            let gso = UInt16(mtu - (s.tcp - 14) - (header - s.tcp))
            let n = f.withUnsafeBytes { tracer_packet_send_partial(vfd, $0.baseAddress, $0.count, UInt16(s.tcp), 16, gso, UInt16(header)) }
            guard n == f.count else { throw VerifyError("send (GSO) on \(iface): errno \(errno)") }
            return f
        }
        if let p = Self.partialChecksum(frame), let vfd = partialSockets[iface] {
            let n = frame.withUnsafeBytes { tracer_packet_send_partial(vfd, $0.baseAddress, $0.count, UInt16(p.start), UInt16(p.offset), 0, 0) }
            guard n == frame.count else { throw VerifyError("send (CHECKSUM_PARTIAL) on \(iface): errno \(errno)") }
            return frame
        }
        let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard n == frame.count else { throw VerifyError("send on \(iface): errno \(errno)") }
        return frame
    }

    /// Every frame waiting on every wire, except copies of `injected` (a packet socket sees its
    /// own transmissions).
    func drain(except injected: [UInt8]? = nil) -> [(iface: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        for iface in interfaces {
            let fd = sockets[iface]!
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                let frame = Array(buffer[0..<n])
                if frame == injected { continue }
                out.append((iface, frame))
            }
        }
        return out
    }

    /// An Ethernet frame's IPv4 TCP/UDP checksum left to the device: where it starts (from the
    /// frame's first byte) and the field's offset.
    static func partialChecksum(_ frame: [UInt8]) -> (start: Int, offset: Int)? {
        frame.withUnsafeBytes { b in
            guard case .success(let link) = LinkFrame.decode(b, as: .ethernet), link.networkProtocol == .ipv4,
                  let ip = IPv4Packet.parseFixedHeader(link.network).value, let p = ip.partialChecksum else { return nil }
            return (link.networkOffset + p.start, p.offset)
        }
    }

    func close() {
        for (_, fd) in sockets { Glibc.close(fd) }
        for (_, fd) in partialSockets { Glibc.close(fd) }
        sockets = [:]
        partialSockets = [:]
    }
}
