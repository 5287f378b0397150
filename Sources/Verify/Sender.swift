// The transmit side of `tracer verify`: a packet the capture shows the host sending (and that is
// not an answer the model predicted) is sent by a real socket in the host namespace, the socket
// the model's transmit path takes it to come from (Sources/Kernel/Model/Transmit.swift):
//
//   UDP from one of the host's addresses   → a UDP socket bound to the source port, sendto
//   ICMP echo request                      → a ping socket (ping_group_range) bound to the echo
//                                            id, or raw IPPROTO_ICMP
//   TCP SYN                                → a non-blocking connect, the ephemeral port range
//                                            narrowed to the source port (an unbound socket,
//                                            as an application's: connect picks the port)
//   TCP, later in a conversation           → the application's own calls on the conversation's
//                                            socket (the connect()ed one, or the one accept()
//                                            returns from a held listener): data → send, FIN →
//                                            shutdown(SHUT_WR), RST → close with SO_LINGER 0,
//                                            a bare ACK → read() of what waits (the read is what
//                                            makes tcp_cleanup_rbuf acknowledge); each after
//                                            reading what waits, as an application that reads
//                                            its requests before it answers
//   anything else, or a foreign source     → a raw IPPROTO_RAW socket (IP_HDRINCL), the packet as is
//
// The TTL (and TOS) the capture shows is set on the socket where it is not the host's default
// (a traceroute probe). TCP sockets have TCP_NODELAY: each captured segment is one write, sent
// when the capture shows it. Sockets stay open for the whole run (a later ICMP
// fragmentation-needed must find its socket), and are made by `prepare` before the frame's trace
// window opens: the socket and bind calls are the application's set-up, not part of the send.
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
    /// The application's socket of each TCP conversation the replay plays.
    private var streams: [LivePlay.Key: Int32] = [:]
    /// The captured ISN of each conversation connect() opened.
    private var connectISN: [LivePlay.Key: UInt32] = [:]
    /// The held listeners, which accepted connections are taken from.
    var listeners: [Int32] = []
    /// Called with each UDP socket the replay sends from and its port: the application that
    /// sent reads the answers (Topology.read), as a client does.
    var onUDPSocket: (Int32, UInt16) -> Void = { _, _ in }
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
    /// True when it made one (its set-up calls then need time to leave the trace).
    func prepare(_ ip: [UInt8], bindSource: Bool = false) -> Bool {
        let count = sockets.count
        _ = send(ip, bindSource: bindSource, dryRun: true)
        return sockets.count != count
    }

    /// A SYN the capture shows the host sending again on a conversation this replay's connect()
    /// opened: the kernel's retransmit timer sends it, not a socket call.
    func isRetransmission(_ ethernet: [UInt8]) -> Bool {
        guard let s = Segment(ethernet), s.flags & 0x17 == 0x02 else { return false }
        let key = LivePlay.Key(host: s.source, hostPort: s.sourcePort, peer: s.destination, peerPort: s.destinationPort)
        return streams[key] != nil && connectISN[key] == s.seq
    }

    func send(_ ip: [UInt8], bindSource: Bool = false, dryRun: Bool = false) -> (outcome: String?, skipped: String?) {
        if ip.count >= 40, ip[0] >> 4 == 6 { return send6(ip, bindSource: bindSource, dryRun: dryRun) }
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
            guard let fd = socket("udp \(bindSource ? src : .any):\(u16(0))", udpPort: u16(0), {
                tracer_inet_socket(Int32(SOCK_DGRAM.rawValue), 0, bindSource ? src.value : 0, u16(0), self.pmtudisc) }) else { return (Kernel.errnoName(errno), nil) }
            let data = Array(l4[8...])
            if dryRun { return (nil, nil) }
            setHeaderFields(fd, ip, multicast: dst.isMulticast)
            return (result(data.withUnsafeBytes { tracer_inet_sendto(fd, $0.baseAddress, $0.count, dst.value, u16(2)) }), nil)
        }
        if ownSource && proto == 6 && l4.count >= 20 {
            let key = LivePlay.Key(host: src.value, hostPort: u16(0), peer: dst.value, peerPort: u16(2))
            guard l4[13] & 0x17 == 0x02 else { return stream(key, segment: l4, dryRun: dryRun) }
            guard let fd = socket("tcp \(u16(0)) \(dst) \(u16(2))", {
                tracer_inet_socket(Int32(SOCK_STREAM.rawValue), 0, bindSource ? src.value : 0, 0, -1) }) else { return (Kernel.errnoName(errno), nil) }
            if dryRun { return (nil, nil) }
            _ = tracer_setsockopt_int(fd, Int32(IPPROTO_TCP), 1 /* TCP_NODELAY */, 1)
            setHeaderFields(fd, ip, multicast: false)
            streams[key] = fd
            connectISN[key] = UInt32(l4[4]) << 24 | UInt32(l4[5]) << 16 | UInt32(l4[6]) << 8 | UInt32(l4[7])
            let range = "/proc/sys/net/ipv4/ip_local_port_range"
            let saved = (try? String(contentsOfFile: range, encoding: .utf8)) ?? "32768 60999\n"
            try? "\(u16(0)) \(u16(0))\n".write(toFile: range, atomically: false, encoding: .utf8)
            let r = tracer_inet_connect(fd, dst.value, u16(2))
            try? saved.write(toFile: range, atomically: false, encoding: .utf8)
            return (r == EINPROGRESS ? "sent" : result(r), nil)
        }
        if ownSource && proto == 1 && l4.first == 8 {
            let ping = host.sysctls.pingSocketsAllowed
            // A ping socket's echo id is its port: bound to the captured one, so the reply finds it.
            let id = l4.count >= 6 ? u16(4) : 0
            guard let fd = socket(ping ? "ping \(id)" : "icmp", { tracer_inet_socket(Int32(ping ? SOCK_DGRAM.rawValue : SOCK_RAW.rawValue), Int32(IPPROTO_ICMP), 0, ping ? id : 0, ping ? self.pmtudisc : -1) }) else {
                return (Kernel.errnoName(errno), nil)
            }
            if dryRun { return (nil, nil) }
            setHeaderFields(fd, ip, multicast: dst.isMulticast)
            return (result(l4.withUnsafeBytes { tracer_inet_sendto(fd, $0.baseAddress, $0.count, dst.value, 0) }), nil)
        }
        guard let fd = socket("raw", { tracer_inet_socket(Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW), 0, 0, -1) }) else { return (Kernel.errnoName(errno), nil) }
        if dryRun { return (nil, nil) }
        return (result(ip.withUnsafeBytes { tracer_inet_sendto(fd, $0.baseAddress, $0.count, dst.value, 0) }), nil)
    }

    /// An IPv6 send: UDP from an AF_INET6 socket (IPV6_MTU_DISCOVER as for IPv4's); a fragment
    /// waits for its datagram's last one, as for IPv4.
    private func send6(_ ip: [UInt8], bindSource: Bool, dryRun: Bool) -> (outcome: String?, skipped: String?) {
        var next = ip[6], l4 = Array(ip[40...])
        if next == 44, l4.count >= 8 {
            guard l4[2] & 0xff == 0 && l4[3] & 0xf9 == 0 && l4[3] & 1 == 0 else {
                return (nil, "a fragment: the application's datagram is sent whole, with its last fragment")
            }
            next = l4[0]; l4 = Array(l4[8...])
        }
        let src = Array(ip[8..<24]), dst = Array(ip[24..<40])
        let srcAddress = src.withUnsafeBytes { IPv6Address($0, at: 0) }
        let dstAddress = dst.withUnsafeBytes { IPv6Address($0, at: 0) }
        let own = host.interfaces.contains { $0.addresses.contains { $0.address == .v6(srcAddress) } }
        func u16(_ i: Int) -> UInt16 { UInt16(l4[i]) << 8 | UInt16(l4[i + 1]) }
        let scope = dstAddress.isLinkLocal || dstAddress.isMulticast ? UInt32(host.interfaces.first { !$0.isLoopback }?.index ?? 0) : 0
        if own, next == 58, l4.count >= 8, l4[0] == 128 {
            // A ping socket bound to the echo id (its "port"), so the reply finds it; without
            // ping sockets (ping_group_range), ping's raw ICMPv6 socket.
            let id = u16(4), ping = host.sysctls.pingSocketsAllowed
            let type = Int32(ping ? SOCK_DGRAM.rawValue : SOCK_RAW.rawValue)
            guard let fd = socket(ping ? "ping6 \(id)" : "icmp6", {
                bindSource ? src.withUnsafeBufferPointer { tracer_inet6_socket(type, Int32(IPPROTO_ICMPV6), $0.baseAddress, ping ? id : 0, ping ? self.pmtudisc : -1) }
                    : tracer_inet6_socket(type, Int32(IPPROTO_ICMPV6), nil, ping ? id : 0, ping ? self.pmtudisc : -1)
            }) else { return (Kernel.errnoName(errno), nil) }
            if dryRun { return (nil, nil) }
            return (result(l4.withUnsafeBytes { d in dst.withUnsafeBufferPointer { tracer_inet6_sendto(fd, d.baseAddress, d.count, $0.baseAddress, 0, scope) } }), nil)
        }
        guard own, next == 17, l4.count >= 8 else { return (nil, "an IPv6 send other than UDP or ping from one of the host's addresses: not replayed yet") }
        guard let fd = socket("udp6 \(bindSource ? srcAddress.description : "::"):\(u16(0))", udpPort: u16(0), {
            bindSource ? src.withUnsafeBufferPointer { tracer_inet6_socket(Int32(SOCK_DGRAM.rawValue), 0, $0.baseAddress, u16(0), self.pmtudisc) }
                : tracer_inet6_socket(Int32(SOCK_DGRAM.rawValue), 0, nil, u16(0), self.pmtudisc)
        }) else { return (Kernel.errnoName(errno), nil) }
        if dryRun { return (nil, nil) }
        let data = Array(l4[8...])
        return (result(data.withUnsafeBytes { d in dst.withUnsafeBufferPointer { tracer_inet6_sendto(fd, d.baseAddress, d.count, $0.baseAddress, u16(2), scope) } }), nil)
    }

    func close() {
        for fd in sockets.values { Glibc.close(fd) }
        for fd in streams.values where !sockets.values.contains(fd) { Glibc.close(fd) }
        sockets = [:]
        streams = [:]
    }

    /// A segment later in a TCP conversation: the application's call that makes the kernel send it.
    private func stream(_ key: LivePlay.Key, segment l4: [UInt8], dryRun: Bool) -> (outcome: String?, skipped: String?) {
        acceptWaiting()
        guard let fd = streams[key] else {
            return (nil, "no socket of the replay's for this TCP conversation (its handshake is not in the capture, or the kernel did not complete it): not sent")
        }
        var peer = sockaddr_in(), len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let connected = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) } } == 0
        guard connected else {
            return (nil, "the replay's connection is not established (the capture shows no SYN-ACK, or the kernel refused it): not sent")
        }
        if dryRun { return (nil, nil) }
        let flags = l4[13]
        let data = Array(l4[(Int(l4[12] >> 4) * 4)...])
        if flags & 0x04 != 0 {
            streams[key] = nil
            sockets = sockets.filter { $0.value != fd }
            return (result(tracer_close_reset(fd)), nil)
        }
        let read = tracer_read_pending(fd)
        if !data.isEmpty {
            let r = data.withUnsafeBytes { tracer_send(fd, $0.baseAddress, $0.count) }
            if r != 0 || flags & 0x01 == 0 { return (result(r), nil) }
        }
        if flags & 0x01 != 0 { return (result(tracer_shutdown_write(fd)), nil) }
        if data.isEmpty && read == 0 {
            return (nil, "a bare ACK with nothing waiting to be read: a timer's (delayed ACK, keepalive) or a window update, not a socket call's: not sent")
        }
        return ("sent", nil)
    }

    /// Takes every connection waiting on a held listener, as the application's accept() would.
    private func acceptWaiting() {
        for l in listeners {
            while true {
                var peer: UInt32 = 0, peerPort: UInt16 = 0, local: UInt32 = 0, localPort: UInt16 = 0
                let fd = tracer_inet_accept(l, &peer, &peerPort, &local, &localPort)
                if fd < 0 { break }
                _ = tracer_setsockopt_int(fd, Int32(IPPROTO_TCP), 1 /* TCP_NODELAY */, 1)
                streams[LivePlay.Key(host: local, hostPort: localPort, peer: peer, peerPort: peerPort)] = fd
            }
        }
    }

    /// The captured packet's TTL and TOS on the socket, where they are not the host's defaults.
    private func setHeaderFields(_ fd: Int32, _ ip: [UInt8], multicast: Bool) {
        let ttl = Int32(ip[8]), tos = Int32(ip[1])
        if multicast {
            if ttl != 1 { _ = tracer_setsockopt_int(fd, Int32(IPPROTO_IP), 33 /* IP_MULTICAST_TTL */, ttl) }
        } else if ttl != Int32(host.sysctls.int("net.ipv4.ip_default_ttl") ?? 64) {
            _ = tracer_setsockopt_int(fd, Int32(IPPROTO_IP), 2 /* IP_TTL */, ttl)
        }
        if tos != 0 { _ = tracer_setsockopt_int(fd, Int32(IPPROTO_IP), 1 /* IP_TOS */, tos) }
    }

    private func socket(_ key: String, udpPort: UInt16? = nil, _ make: () -> Int32) -> Int32? {
        if let fd = sockets[key] { return fd }
        let fd = make()
        guard fd >= 0 else { return nil }
        sockets[key] = fd
        if let udpPort { onUDPSocket(fd, udpPort) }
        return fd
    }


    private func result(_ e: Int32) -> String { e == 0 ? "sent" : Kernel.errnoName(e) }

}
