// VMGuest.isProgramSend: which of the host's frames a program sends (tx-check.sh has the 6.1
// guest's sender make them; `tracer verify --vm` sends a capture that way when it holds one).
import Foundation
import Testing
import TestSupport
import Capture
import Verify

@Suite struct ProgramSendTests {
    /// The frames of Fixtures/tx/NAME.pcap.
    func frames(_ name: String) throws -> [[UInt8]] {
        let reader = try CaptureReader(path: "\(packageRoot)/Fixtures/tx/\(name).pcap")
        var out: [[UInt8]] = []
        while let f = try reader.next() { out.append(Array(f.bytes)) }
        return out
    }

    @Test func programSendsAreTxChecksOwn() throws {
        // UDP over IPv4 and IPv6, ping's echo requests, an IP_HDRINCL packet of protocol 253.
        for name in ["udp-small", "ipv6-udp-small", "icmp-echo", "ipv6-ping", "raw-ip"] {
            #expect(VMGuest.isProgramSend(try frames(name)[0]), "\(name)")
        }
        // A fragmented datagram: its first fragment is the send, the others are not (IPv4 and
        // IPv6's fragment header).
        for name in ["udp-3000", "ipv6-udp-3000"] {
            let f = try frames(name)
            #expect(VMGuest.isProgramSend(f[0]) && f.dropFirst().allSatisfy { !VMGuest.isProgramSend($0) }, "\(name)")
        }
        // A TCP segment (a connect's SYN is told by its place, first), the peer's echo reply and
        // port unreachable (ICMP other than an echo request), a frame cut short.
        #expect(!VMGuest.isProgramSend(try frames("tcp-connect-synack")[0]))
        #expect(!VMGuest.isProgramSend(try frames("icmp-echo-answered")[1]))
        #expect(!VMGuest.isProgramSend(try frames("udp-port-unreachable-answer")[1]))
        #expect(!VMGuest.isProgramSend(Array(try frames("udp-small")[0].prefix(20))))
    }
}
