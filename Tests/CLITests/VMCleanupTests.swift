// A guest run (Fixtures/vm/run-job.sh, what `tracer verify --vm` and `make oracle-vm` boot)
// killed while the guest boots leaves nothing behind: no qemu, no namespace (its taps go with
// it), no work directory. Needs root,
// qemu and the guest's kernel (`make vm-setup`); skips, saying so, without them.
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct VMCleanupTests {
    static let assets = packageRoot + "/.build/vm"

    static func unavailable() -> String? {
        if geteuid() != 0 { return "needs root" }
        if !FileManager.default.fileExists(atPath: assets + "/kernel/boot") || !FileManager.default.fileExists(atPath: assets + "/base.cpio.gz") {
            return "no guest kernel in .build/vm (make vm-setup)"
        }
        if (try? run(path: "/usr/bin/env", ["sh", "-c", "command -v qemu-system-x86_64"]))?.status != 0 { return "no qemu-system-x86_64" }
        return nil
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aKilledRunLeavesNothing(signal sig: Int32) throws {
        if let why = Self.unavailable() { print("VMCleanupTests: skipped: \(why)"); return }
        let out = NSTemporaryDirectory() + "tracer-vm-cleanup-\(getpid())-\(sig)"
        let job = out + ".job.sh"
        let marker = "# VMCleanupTests \(getpid()) \(sig)"
        try "#!/bin/sh\n\(marker)\necho \"tracer-vm: ready\"\nsleep 60\n".write(toFile: job, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: job) }
        let p = Process()
        // Through Python to unblock the signals this test runner's threads block (a child
        // inherits the mask): a user's shell leaves SIGTERM and SIGINT deliverable.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp('bash', ['bash'] + sys.argv[1:])",
                       "Fixtures/vm/run-job.sh", Self.assets + "/kernel", Self.assets + "/base.cpio.gz", job, "Fixtures/rx/udp-delivered.pcap", out]
        p.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let ns = "trvm-\(p.processIdentifier)"
        // Killed once qemu runs in its namespace (the guest is still booting).
        var up = false
        for _ in 0..<200 where !up {
            usleep(100_000)
            let pids = (try? run(path: "/usr/bin/env", ["ip", "netns", "pids", ns]))?.out ?? ""
            up = pids.split(separator: "\n").contains { pid in
                ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").hasPrefix("qemu")
            }
        }
        #expect(up, "qemu never started in \(ns)")
        kill(p.processIdentifier, sig)
        p.waitUntilExit()
        let namespaces = try run(path: "/usr/bin/env", ["ip", "netns", "list"]).out
        #expect(!namespaces.contains(ns), "\(ns) left behind")
        let qemus = try run(path: "/usr/bin/env", ["sh", "-c", "ps -eo args | grep -c '^qemu-system-x86_64.*\(out)' || true"]).out
        #expect(qemus.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "a qemu of this run still runs")
        let left = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter {
            $0.hasPrefix("tracer-vm.") && ((try? String(contentsOfFile: "/tmp/\($0)/job/job.sh", encoding: .utf8)) ?? "").contains(marker)
        }
        #expect(left.isEmpty, "run-job's work directory left in /tmp: \(left)")
    }
}

/// `tracer verify --vm` end to end: one capture through the guest and the model (about 15 s);
/// without root, qemu or the guest's kernel it must say which is missing.
@Suite struct VerifyVMTests {
    @Test func oneCaptureThroughTheGuest() throws {
        if let why = VMCleanupTests.unavailable() {
            let r = try runTracer(["verify", "--vm", "Fixtures/rx/udp-closed-port.pcap", "--host", "Fixtures/hosts/netns-h"],
                                  environment: ["TRACER_VM_DIR": "/nonexistent"])
            #expect(r.status != 0 && r.stderr.contains("--vm"), "no guest (\(why)): \(r.stderr)")
            print("VerifyVMTests: the guest run skipped: \(why)")
            return
        }
        let r = try runTracer(["verify", "--vm", "--kernel", "6.1", "Fixtures/rx/udp-closed-port.pcap", "--host", "Fixtures/hosts/netns-h"],
                              environment: ["TRACER_VM_DIR": VMCleanupTests.assets])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("agree    frame 1   drops") && r.stdout.contains("fields agree"), "\(r.stdout)")
        // A pcapng goes in as a pcap copy; a capture of another link type cannot go to an e1000.
        let sll = try runTracer(["verify", "--vm", "Fixtures/captures/sll.pcap", "--host", "Fixtures/hosts/netns-h"],
                                environment: ["TRACER_VM_DIR": VMCleanupTests.assets])
        #expect(sll.status != 0 && sll.stderr.contains("replays Ethernet captures"), "\(sll.stderr)")
    }

    /// A capture of a program's sends: a program in the guest makes them (here ping's
    /// ICMPv6 echo request), beside `tracer replay --tx`, the send's call path included.
    @Test func oneSendThroughTheGuest() throws {
        if let why = VMCleanupTests.unavailable() {
            print("VerifyVMTests: the guest send skipped: \(why)")
            return
        }
        let r = try runTracer(["verify", "--vm", "Fixtures/tx/ipv6-ping.pcap", "--host", "Fixtures/hosts/netns-h6"],
                              environment: ["TRACER_VM_DIR": VMCleanupTests.assets])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("a program's sends: made by a program in the guest"), "\(r.stdout)")
        #expect(r.stdout.contains("agree    frame 1   send path") && r.stdout.contains("Icmp6OutEchos"), "\(r.stdout)")
    }
}
