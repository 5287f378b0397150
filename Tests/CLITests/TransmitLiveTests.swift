// The frames `tracer replay --tx -w` writes, against what the real kernel puts on the wire for
// the same sends: a namespace set up like Fixtures/hosts/netns-h's eth0 (10.1.0.2/24, MTU 1500,
// gateway 10.1.0.1 PERMANENT, checksums computed in software), a Python UDP socket bound to port
// 40000 sending the fixture's payload with the fixture's IP_MTU_DISCOVER, and tcpdump on the
// peer. Equal byte for byte apart from the IP ID and the header checksum that covers it.
// Needs root and network namespaces; skipped elsewhere, saying why. The namespaces are
// deleted afterwards, also on failure.
import Capture
import Foundation
import Testing
import TestSupport

enum LiveNetns {
    static var unavailable: String? {
        if getuid() != 0 { return "needs root (network namespaces)" }
        if !installed("tcpdump") || !installed("python3") { return "needs tcpdump and python3" }
        return nil
    }
}

extension LiveKernelTests {   // serialized with VerifyTests (see LiveKernelTests)
@Suite(.serialized, .enabled(if: LiveNetns.unavailable == nil, Comment(rawValue: LiveNetns.unavailable ?? "")))
struct TransmitLiveTests {
    struct Case { var capture: String; var payload: Int; var pmtudisc: String; var pmtuValue: Int }
    static let cases = [
        Case(capture: "udp-3000", payload: 3000, pmtudisc: "want", pmtuValue: 1),
        Case(capture: "udp-3000", payload: 3000, pmtudisc: "dont", pmtuValue: 0),
        Case(capture: "udp-3000", payload: 3000, pmtudisc: "do", pmtuValue: 2),
        Case(capture: "udp-small", payload: 12, pmtudisc: "want", pmtuValue: 1),
    ]

    @Test(arguments: cases)
    func fragmentsMatchTheKernel(_ c: Case) throws {
        let model = temporaryPath("model-\(c.capture)-\(c.pmtudisc).pcap")
        let t = try runTracer(["replay", "--tx", "Fixtures/tx/\(c.capture).pcap", "--host", "Fixtures/hosts/netns-h",
                               "--pmtudisc", c.pmtudisc, "-w", model])
        #expect(t.status == 0, "\(t.stderr)")
        let j = try runTracer(["replay", "--tx", "Fixtures/tx/\(c.capture).pcap", "--host", "Fixtures/hosts/netns-h",
                               "--pmtudisc", c.pmtudisc, "--format", "json"])
        let verdict = try #require(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])["verdict"] as? [String: Any]
        let modelOutcome = verdict?["errno"] as? String ?? "sent"
        let (kernel, kernelOutcome) = try kernelFrames(payloadLength: c.payload, pmtudisc: c.pmtuValue)
        #expect(modelOutcome == kernelOutcome, "what sendto returns")
        let predicted = try ipv4Frames(model)
        #expect(predicted.count == kernel.count, "model \(predicted.count) frames, kernel \(kernel.count)")
        #expect(predicted.count >= 1 || modelOutcome != "sent")
        for (m, k) in zip(predicted, kernel) {
            #expect(Self.masked(m) == Self.masked(k), "model \(hex(m))\nkernel \(hex(k))")
        }
    }

    /// The IP ID (the kernel's own pick) and the header checksum over it are set to zero.
    static func masked(_ frame: [UInt8]) -> [UInt8] {
        var f = frame
        for i in [18, 19, 24, 25] where i < f.count { f[i] = 0 }
        return f
    }

    func hex(_ b: [UInt8]) -> String { b.prefix(64).map { String(format: "%02x", $0) }.joined() }

    func ipv4Frames(_ path: String) throws -> [[UInt8]] {
        let r = try CaptureReader(path: path)
        var out: [[UInt8]] = []
        while let f = try r.next() {
            if f.bytes.count > 14 && f.bytes[12] == 0x08 && f.bytes[13] == 0x00 { out.append(Array(f.bytes)) }
        }
        return out
    }

    /// Sends the datagram from a real socket in a namespace and returns the IPv4 frames the
    /// peer saw, and what sendto returned ("sent" or the errno's name).
    func kernelFrames(payloadLength: Int, pmtudisc: Int) throws -> ([[UInt8]], String) {
        let tag = "trt-\(getpid())"
        let pcap = temporaryPath("\(tag)-kernel-\(payloadLength)-\(pmtudisc).pcap")
        try? FileManager.default.removeItem(atPath: pcap)
        let payload = payloadLength == 12 ? "b'hello kernel'" : "bytes(i & 0xff for i in range(\(payloadLength)))"
        let script = """
        set -e
        H=\(tag)-h W=\(tag)-w dump=
        # SIGKILL: a test thread's child inherits a signal mask that blocks SIGTERM.
        cleanup() { [ -z "$dump" ] || kill -KILL $dump 2>/dev/null || true; ip netns del $H 2>/dev/null || true; ip netns del $W 2>/dev/null || true; }
        trap cleanup EXIT
        cleanup
        ip netns add $H; ip netns add $W
        ip link add eth0 netns $H type veth peer name p0 netns $W
        ip -n $H link set eth0 address 02:00:00:00:00:01 mtu 1500 up
        ip -n $W link set p0 address 02:00:00:00:00:fe up
        ip -n $H link set lo up
        ip netns exec $H ethtool -K eth0 tx off >/dev/null
        ip -n $H addr add 10.1.0.2/24 dev eth0
        ip -n $W addr add 10.1.0.1/24 dev p0
        ip -n $H neigh add 10.1.0.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
        ip netns exec $H sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1
        ip netns exec $W sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec $W tcpdump -U -n -i p0 -w \(pcap) ip src 10.1.0.2 2>/dev/null & dump=$!
        sleep 1
        ip netns exec $H python3 -c "
        import errno, socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, 10, \(pmtudisc))
        s.bind(('0.0.0.0', 40000))
        try:
            s.sendto(\(payload), ('10.1.0.1', 5353)); print('sent')
        except OSError as e:
            print(errno.errorcode[e.errno])
        "
        sleep 1
        kill -KILL $dump; wait $dump 2>/dev/null || true; dump=
        """
        guard let r = run("bash", ["-c", script]) else { throw CocoaError(.fileReadUnknown) }
        #expect(r.status == 0, "\(r.err)")
        return (try ipv4Frames(pcap), r.out.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
}

extension LiveKernelTests.TransmitLiveTests.Case: CustomTestStringConvertible {
    var testDescription: String { "\(capture) --pmtudisc \(pmtudisc)" }
}
