// Packet sockets on the wire side of each host interface: one to inject frames into the host,
// the same one to see every frame the host puts on that wire.
import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class Wires {
    private var sockets: [String: Int32] = [:]

    init(topology: Topology) throws {
        for (iface, w) in topology.wires {
            let fd = try inNetns(w.netns) { () -> Int32 in
                let fd = tracer_packet_socket(w.peer)
                guard fd >= 0 else { throw VerifyError("packet socket on \(w.peer): errno \(errno)") }
                return fd
            }
            sockets[iface] = fd
        }
    }

    var interfaces: [String] { sockets.keys.sorted() }

    func send(_ frame: [UInt8], on iface: String) throws {
        guard let fd = sockets[iface] else { throw VerifyError("no wire for \(iface)") }
        let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard n == frame.count else { throw VerifyError("send on \(iface): errno \(errno)") }
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

    func close() {
        for (_, fd) in sockets { Glibc.close(fd) }
        sockets = [:]
    }
}
