// The transmit side of `tracer verify`: a packet the capture shows the host sending (and that is
// not an answer the model predicted) is sent by a real socket in the host namespace, the socket
// the model's transmit path takes it to come from (Sources/Kernel/Model/Transmit.swift):
//
//   UDP from one of the host's addresses   → a UDP socket bound to the source port, sendto
//   ICMP echo request                      → a ping socket (ping_group_range) or raw IPPROTO_ICMP
//   TCP SYN                                → a non-blocking connect, the ephemeral port range
//                                            narrowed to the source port (an unbound socket,
//                                            as an application's: connect picks the port)
//   anything else, or a foreign source     → a raw IPPROTO_RAW socket (IP_HDRINCL), the packet as is
//
// TCP segments other than a SYN need an established connection with a real peer: not sent.
// Sockets stay open for the whole run (a later ICMP fragmentation-needed must find its socket),
// and are made by `prepare` before the frame's trace window opens: the socket and bind calls
// are the application's set-up, not part of the send.
import CLinux
import Foundation
import HostModel
import Kernel
import Wire
#if canImport(Glibc)
import Glibc
#endif

final class Sender {
    private var sockets: [String: Int32] = [:]
    let host: HostModel.Host
    /// IP_MTU_DISCOVER for UDP and ping sockets (the model's --pmtudisc; want by default).
    let pmtudisc: Int32

    init(host: HostModel.Host, pmtudisc: Int32 = 1) {
        self.host = host
        self.pmtudisc = pmtudisc
    }

    /// What the socket call returned: "sent" or the errno's name; nil and a reason when the
    /// packet is not one a socket call here can send.
    /// Makes the socket `send` will use (a failure is left for `send` to report).
    func prepare(_ ip: [UInt8], bindSource: Bool = false) {
        _ = send(ip, bindSource: bindSource, dryRun: true)
    }

    func send(_ ip: [UInt8], bindSource: Bool = false, dryRun: Bool = false) -> (outcome: String?, skipped: String?) {
        guard ip.count >= 20, ip[0] >> 4 == 4 else { return (nil, "not an IPv4 packet") }
        let hlen = Int(ip[0] & 0x0f) * 4
        guard ip.count >= hlen else { return (nil, "not a well-formed IPv4 packet") }
        let proto = ip[9]
        let src = IPv4Address(ip[12], ip[13], ip[14], ip[15]), dst = IPv4Address(ip[16], ip[17], ip[18], ip[19])
        let l4 = Array(ip[hlen...])
        let ownSource = host.interfaces.contains { $0.ipv4Addresses.contains { $0.address == .v4(src) } }
        func u16(_ i: Int) -> UInt16 { UInt16(l4[i]) << 8 | UInt16(l4[i + 1]) }
        if (ip[6] & 0x3f) != 0 || ip[7] != 0 { return (nil, "a fragment: the application's datagram is sent whole, with its last fragment") }
        if ownSource && proto == 17 && l4.count >= 8 {
            guard let fd = socket("udp \(bindSource ? src : .any):\(u16(0))", {
                tracer_inet_socket(Int32(SOCK_DGRAM.rawValue), 0, bindSource ? src.value : 0, u16(0), self.pmtudisc) }) else { return (Kernel.errnoName(errno), nil) }
            let data = Array(l4[8...])
            if dryRun { return (nil, nil) }
            return (result(data.withUnsafeBytes { tracer_inet_sendto(fd, $0.baseAddress, $0.count, dst.value, u16(2)) }), nil)
        }
        if ownSource && proto == 6 && l4.count >= 20 {
            guard l4[13] & 0x17 == 0x02 else { return (nil, "a TCP segment after the SYN needs an established connection with a real peer: not sent") }
            guard let fd = socket("tcp \(u16(0)) \(dst) \(u16(2))", {
                tracer_inet_socket(Int32(SOCK_STREAM.rawValue), 0, bindSource ? src.value : 0, 0, -1) }) else { return (Kernel.errnoName(errno), nil) }
            if dryRun { return (nil, nil) }
            let range = "/proc/sys/net/ipv4/ip_local_port_range"
            let saved = (try? String(contentsOfFile: range, encoding: .utf8)) ?? "32768 60999\n"
            try? "\(u16(0)) \(u16(0))\n".write(toFile: range, atomically: false, encoding: .utf8)
            let r = tracer_inet_connect(fd, dst.value, u16(2))
            try? saved.write(toFile: range, atomically: false, encoding: .utf8)
            return (r == EINPROGRESS ? "sent" : result(r), nil)
        }
        if ownSource && proto == 1 && l4.first == 8 {
            let ping = host.sysctls.pingSocketsAllowed
            guard let fd = socket(ping ? "ping" : "icmp", { tracer_inet_socket(Int32(ping ? SOCK_DGRAM.rawValue : SOCK_RAW.rawValue), Int32(IPPROTO_ICMP), 0, 0, ping ? self.pmtudisc : -1) }) else {
                return (Kernel.errnoName(errno), nil)
            }
            if dryRun { return (nil, nil) }
            return (result(l4.withUnsafeBytes { tracer_inet_sendto(fd, $0.baseAddress, $0.count, dst.value, 0) }), nil)
        }
        guard let fd = socket("raw", { tracer_inet_socket(Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW), 0, 0, -1) }) else { return (Kernel.errnoName(errno), nil) }
        if dryRun { return (nil, nil) }
        return (result(ip.withUnsafeBytes { tracer_inet_sendto(fd, $0.baseAddress, $0.count, dst.value, 0) }), nil)
    }

    func close() {
        for fd in sockets.values { Glibc.close(fd) }
        sockets = [:]
    }

    private func socket(_ key: String, _ make: () -> Int32) -> Int32? {
        if let fd = sockets[key] { return fd }
        let fd = make()
        guard fd >= 0 else { return nil }
        sockets[key] = fd
        return fd
    }

    private func result(_ e: Int32) -> String { e == 0 ? "sent" : Kernel.errnoName(e) }

}
