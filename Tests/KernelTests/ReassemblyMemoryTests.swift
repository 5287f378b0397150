// Reassembly memory stays bounded by ipfrag_high_thresh whatever a capture throws at it.
import Testing
import Wire
@testable import Kernel
@testable import HostModel

@Suite struct ReassemblyMemoryTests {
    /// 100,000 first fragments of datagrams that never complete, all inside one ipfrag_time: the
    /// queues stop growing at the memory limit, and later fragments are refused, as the kernel
    /// refuses them (inet_frag_find returns NULL).
    @Test func neverCompletedDatagramsStayBounded() throws {
        let host = Host.defaultHost
        let kernel = Kernel(host: host, profile: Profile())
        // All at one instant: with a softirq cost per packet the backlog would drop them first.
        kernel.serviceTime = 0
        let eth0 = try #require(host.interface(named: "eth0"))
        let dst = IPv4Address(192, 168, 1, 10)
        let high = 4_194_304
        var refused = 0
        for i in 0..<100_000 {
            // Distinct datagrams: the 16-bit ID wraps, so the source changes every 65,536.
            let src = IPv4Address(10, 0, UInt8(i >> 16), 1)
            let ip = IPv4Header(source: src, destination: dst, protocol: .udp, ident: UInt16(truncatingIfNeeded: i),
                                dontFrag: false, moreFrags: true, fragOffset: 0)
            let frame = EthernetHeader(destination: eth0.mac!, source: MACAddress(0x52, 0x54, 0, 0, 0, 1), etherType: .ipv4)
                .emit(payload: ip.emit(payload: [UInt8](repeating: 0, count: 64)))
            let r = kernel.receive(frame: frame, linkType: .ethernet, iface: eth0, time: 1.0)
            if r.fragment?.outcome == "no-memory" { refused += 1 }
            #expect(kernel.net.ipv4.fqdir.mem <= high + Kernel.rxTruesize(driver: .veth, kernel: .v6_18, frameLength: frame.count, networkLength: 84, mtu: 1500))
        }
        #expect(refused > 90_000)
        #expect(kernel.net.ipv4.fqdir.queues.count < 10_000)
        // …and the timer frees them all once ipfrag_time has passed.
        _ = kernel.receive(frame: [UInt8](repeating: 0, count: 60), linkType: .ethernet, iface: eth0, time: 40)
        #expect(kernel.net.ipv4.fqdir.queues.isEmpty && kernel.net.ipv4.fqdir.mem == 0)
    }
}
