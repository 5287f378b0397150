// ip_rt_send_redirect's per-sender back-off, on the capture's clock (no root: the live kernel
// checked the first redirect, Fixtures/rx/forward-redirect; its timing cannot be replayed there,
// since tracer verify paces frames itself). route.c: the first redirect at once, the next only
// after ip_rt_redirect_load << n_redirects jiffies (HZ/50 = 20 ms, doubling), none after
// ip_rt_redirect_number (9) until ip_rt_redirect_silence ((HZ/50) << 10, 20.48 s) has passed.
import Capture
import Testing
@testable import Kernel
import HostModel
import TestSupport

@Suite struct RedirectBackoffTests {
    /// The times (s) of the frames that were answered with a redirect, of frames sent at `times`.
    func redirected(at times: [Double]) throws -> [Double] {
        let host = try Host.load(packageRoot + "/Fixtures/hosts/netns-h")
        let kernel = Kernel(host: host, profile: Profile())
        let reader = try CaptureReader(path: packageRoot + "/Fixtures/rx/forward-redirect.pcap")
        let frame = Array(try #require(try reader.next()).bytes)
        var out: [Double] = []
        for t in times {
            let r = kernel.receive(frame: frame, linkType: .ethernet, iface: host.interface(named: "eth0")!, time: t)
            #expect(r.verdict.action == .forward)
            // The redirect: ICMP type 5 code 1 naming the gateway 10.1.0.1.
            if r.emitted.contains(where: { $0.bytes.count > 42 && $0.bytes[23] == 1 && $0.bytes[34] == 5 && $0.bytes[35] == 1
                && Array($0.bytes[38..<42]) == [10, 1, 0, 1] }) { out.append(t) }
        }
        return out
    }

    @Test func theFirstAtOnceThenBackingOff() throws {
        // 20 ms << 1 = 40 ms after the first; then 80 ms after the second.
        #expect(try redirected(at: [0, 0.001, 0.030, 0.045, 0.100, 0.130]) == [0, 0.045, 0.130])
    }

    @Test func nineThenSilence() throws {
        // Frames 12 s apart, each after its back-off: 9 redirects, then none until 20.48 s
        // pass without a redirected packet.
        let times = (0..<12).map { Double($0) * 12 }                // 12 s apart: each past the back-off (≤ 10.24 s)
        #expect(try redirected(at: times).count == 9)
        let quiet: [Double] = (0..<10).map { Double($0) * 12 } + [108 + 25]   // 25 s of silence after the tenth
        #expect(try redirected(at: quiet).count == 10)
    }
}

/// icmpv4_xrlim_allow on the capture's clock: a burst of 6 errors to one destination, then one
/// per icmp_ratelimit (1 s); the rest count IcmpOutRateLimitHost and say why no error left.
/// (Not checked live: tracer verify paces frames itself; issue 16's back-to-back bursts will.)
@Suite struct ICMPRateLimitTests {
    @Test func aBurstOfSixThenOnePerSecond() throws {
        let host = try Host.load(packageRoot + "/Fixtures/hosts/netns-h")
        let kernel = Kernel(host: host, profile: Profile())
        let reader = try CaptureReader(path: packageRoot + "/Fixtures/rx/udp-closed-port.pcap")
        let frame = Array(try #require(try reader.next()).bytes)
        var sent: [Int] = [], limited = 0
        // Ten frames 10 ms apart, then one 1.1 s after the first.
        for (i, t) in (Array(0..<10).map { Double($0) * 0.010 } + [1.1]).enumerated() {
            let r = kernel.receive(frame: frame, linkType: .ethernet, iface: host.interface(named: "eth0")!, time: t)
            #expect(r.verdict.reason == "NO_SOCKET")
            if r.emitted.contains(where: { $0.bytes.count > 34 && $0.bytes[23] == 1 && $0.bytes[34] == 3 }) { sent.append(i) }
            if r.counters.deltas["IcmpOutRateLimitHost"] == 1 {
                limited += 1
                #expect(r.verdict.detail.contains("per-destination ICMP limit"))
            }
        }
        // Six from the full bucket; the 11th, after 1.1 s of 250 jiffies a token, one more.
        #expect(sent == [0, 1, 2, 3, 4, 5, 10])
        #expect(limited == 4)
    }
}
