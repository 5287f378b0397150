// `tracer verify` on the live kernel. These need root and tracefs; elsewhere they are skipped,
// saying why. Every run makes its own namespaces (trv-<pid>-…) and removes them.
import Foundation
import Testing
import TestSupport

enum LiveKernel {
    static var unavailable: String? {
        if getuid() != 0 { return "needs root (network namespaces, tracefs)" }
        if !FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/skb") {
            _ = run("mount", ["-t", "tracefs", "nodev", "/sys/kernel/tracing"])
            if !FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/skb") { return "needs tracefs with the skb events" }
        }
        return nil
    }
    static var available: Bool { unavailable == nil }

    /// Namespaces and trace instances a verify run with this pid (or any, with nil) left.
    static func leftovers(pid: Int32? = nil) -> [String] {
        let prefix = pid.map { "trv-\($0)-" } ?? "trv-"
        let ns = (run("ip", ["netns", "list"])?.out ?? "").split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        let inst = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/kernel/tracing/instances")) ?? []
        return (ns + inst).filter { $0.hasPrefix(prefix) }
    }
}

/// Every test that drives the live kernel, one at a time across suites: two at once see each other's
/// fib:fib_table_lookup events and nft traces (both are global to the kernel) — a CI run once did.
@Suite(.serialized) enum LiveKernelTests {}

extension LiveKernelTests {
@Suite(.serialized, .enabled(if: LiveKernel.available, Comment(rawValue: LiveKernel.unavailable ?? "")))
struct VerifyTests {
    @Test func agreesOnTheKernel() throws {
        let t = try runTracer(["verify", "--retries", "1", "Fixtures/rx/udp-closed-port.pcap", "Fixtures/rx/icmp-echo.pcap", "--host", "Fixtures/hosts/netns-h"])
        #expect(t.status == 0, "\(t.stdout)\(t.stderr)")
        #expect(t.stdout.contains("overall: 2 of 2 frames agree on every field"))
        #expect(LiveKernel.leftovers().isEmpty)
    }

    /// A deliberately broken model (one drop reason renamed) is caught, on the field it breaks.
    @Test func reportsAWrongModel() throws {
        let t = try runTracer(["verify", "Fixtures/rx/udp-closed-port.pcap", "--host", "Fixtures/hosts/netns-h",
                               "--mutate-reason", "NO_SOCKET=IP_CSUM"])
        #expect(t.status == 1)
        #expect(t.stdout.contains("DISAGREE"))
        #expect(t.stdout.contains("    reason: model: IP_CSUM | kernel: kfree_skb NO_SOCKET __udp4_lib_rcv"), "\(t.stdout)")
    }

    /// A server's real HTTP exchange, live-played: the client's segments acknowledge the
    /// kernel's own ISN and echo its clock, the response is written by the accepted socket when
    /// the capture shows it, and every segment agrees — none is skipped for want of a connection.
    @Test func liveplaysARealTCPConversation() throws {
        let t = try runTracer(["verify", "--retries", "1", "Fixtures/captures/wild-server.pcap", "--filter", "tcp port 8080",
                               "--host", "Fixtures/hosts/wild-server"])
        #expect(t.status == 0, "\(t.stdout)\(t.stderr)")
        #expect(t.stdout.contains("overall: 9 of 9 frames agree on every field"), "\(t.stdout)")
        // The response (frames 12, 14) and the FIN (16) are the application's calls, compared.
        for n in [12, 14, 16] { #expect(t.stdout.contains("wild-server.pcap frame \(n): agree"), "frame \(n): \(t.stdout)") }
        #expect(!t.stdout.contains("needs an established connection"))
    }

    /// A router's `tcpdump -i any` capture (LINUX_SLL2): frames injected on the interface they
    /// arrived on, the forwarded copies compared on the other; a wrong model is still caught.
    @Test func verifiesAnSLL2RouterCaptureAndCatchesAWrongModel() throws {
        let t = try runTracer(["verify", "--retries", "1", "Fixtures/captures/wild-router.pcap", "--host", "Fixtures/hosts/wild-router"])
        #expect(t.status == 0, "\(t.stdout)\(t.stderr)")
        #expect(t.stdout.contains("overall: 30 of 30 frames agree on every field"), "\(t.stdout)")
        #expect(t.stdout.contains("1 × the kernel's own ARP"), "\(t.stdout)")
        let bad = try runTracer(["verify", "Fixtures/captures/wild-router.pcap", "--host", "Fixtures/hosts/wild-router",
                                 "--mutate-reason", "NETFILTER_DROP=NO_SOCKET"])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("    reason: model: NO_SOCKET | kernel: kfree_skb NETFILTER_DROP"), "\(bad.stdout)")
    }

    /// Interrupted (SIGTERM) it cleans up at once; killed outright (SIGKILL), the next run does.
    @Test func leavesNothingBehind() throws {
        for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGKILL, "SIGKILL")] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tracerBinary)
            p.arguments = ["verify", "Fixtures/rx/frag-timeout.pcap", "--host", "Fixtures/hosts/netns-h"]
            p.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Wait until it is mid-run: its namespaces exist.
            var waited = 0
            while LiveKernel.leftovers(pid: p.processIdentifier).count < 3 && waited < 100 { usleep(100_000); waited += 1 }
            #expect(LiveKernel.leftovers(pid: p.processIdentifier).count >= 3, "\(name): the run never got going")
            kill(p.processIdentifier, signal)
            p.waitUntilExit()
            if signal == SIGTERM {
                #expect(LiveKernel.leftovers(pid: p.processIdentifier).isEmpty, "SIGTERM left \(LiveKernel.leftovers(pid: p.processIdentifier))")
            } else {
                #expect(!LiveKernel.leftovers(pid: p.processIdentifier).isEmpty)
                let again = try runTracer(["verify", "--retries", "1", "Fixtures/rx/icmp-echo.pcap", "--host", "Fixtures/hosts/netns-h"])
                #expect(again.status == 0)
                #expect(LiveKernel.leftovers().isEmpty, "left: \(LiveKernel.leftovers())")
            }
        }
    }
}
}

/// Skipped suites must say why: this runs everywhere and prints it.
@Test func liveKernelTestsSkipReason() {
    if let why = LiveKernel.unavailable { print("VerifyTests skipped: \(why)") }
    #expect(Bool(true))
}
