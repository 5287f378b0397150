// `tracer verify --vm`: a capture through a second real kernel, Debian 12's 6.1 in a qemu guest
// (TCG) with one e1000 per snapshot interface, and through the model's 6.1 profile, compared
// field by field and along the call path. The guest's side is the Fixtures/vm scripts (shell
// and Python around qemu, ip, nft and the function tracer, which have no Swift interface worth
// writing here): check.sh boots the guest as the snapshot's host (guest-job.py), sends the
// frames in one at a time (run-job.sh: taps in a namespace of ours, all removed after, also when
// interrupted) and prints compare.py's table. This file finds them and the guest's kernel, and
// runs them for each capture.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum VMGuest {
    /// The scripts' directory: $TRACER_VM_SCRIPTS; else Fixtures/vm of the source tree the
    /// binary was built in (.build/<config>/tracer); else share/tracer/vm beside an installed
    /// bin/tracer (`make install` puts them there).
    public static func scripts(executable: String) -> String? {
        let fm = FileManager.default
        if let s = ProcessInfo.processInfo.environment["TRACER_VM_SCRIPTS"] { return s }
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            for candidate in ["Fixtures/vm", "share/tracer/vm"] where fm.fileExists(atPath: dir.appendingPathComponent(candidate + "/check.sh").path) {
                return dir.appendingPathComponent(candidate).path
            }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    /// Where the guest's kernel and initramfs are: $TRACER_VM_DIR, else the source tree's
    /// .build/vm (`make vm-setup` fills it), else /var/cache/tracer/vm.
    public static func assets(scripts: String) -> String {
        if let d = ProcessInfo.processInfo.environment["TRACER_VM_DIR"] { return d }
        let tree = URL(fileURLWithPath: scripts).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/vm").path
        return FileManager.default.fileExists(atPath: tree) ? tree : "/var/cache/tracer/vm"
    }

    /// Why a guest cannot run here, or nil.
    public static func unavailableReason(scripts: String?, assets: String) -> String? {
        if geteuid() != 0 { return "tracer verify --vm needs root (a network namespace and taps)" }
        guard scripts != nil else { return "tracer verify --vm: its scripts (Fixtures/vm) are not beside this binary; set TRACER_VM_SCRIPTS" }
        let fm = FileManager.default
        guard fm.fileExists(atPath: assets + "/kernel/boot"), fm.fileExists(atPath: assets + "/base.cpio.gz") else {
            return "tracer verify --vm: no guest kernel and initramfs in \(assets) (`make vm-setup` downloads Debian's 6.1 linux-image and busybox-static there and builds it; TRACER_VM_DIR names another place)"
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard path.split(separator: ":").contains(where: { fm.isExecutableFile(atPath: "\($0)/qemu-system-x86_64") }) else {
            return "tracer verify --vm needs qemu-system-x86_64 (apt-get install qemu-system-x86)"
        }
        return nil
    }

    /// True when an Ethernet frame is a packet a program sends, which tx-check.sh has the guest's
    /// sender make (the same rule): a UDP datagram's first fragment (IPv4 or IPv6), an ICMP or
    /// ICMPv6 echo request, or an IPv4 packet of another protocol than TCP and ICMP. (A TCP SYN
    /// first in a capture is a connect; the host's other frames are the kernel's answers.)
    public static func isProgramSend(_ f: [UInt8]) -> Bool {
        guard f.count >= 34 else { return false }
        if f[12] == 0x08 && f[13] == 0x00 {
            let ihl = Int(f[14] & 15) * 4, offset = (Int(f[20] & 0x1f) << 8 | Int(f[21])) * 8, proto = f[23]
            guard offset == 0 else { return false }
            if proto == 1 { return f.count > 14 + ihl && f[14 + ihl] == 8 }
            return proto != 6
        }
        if f[12] == 0x86 && f[13] == 0xdd && f.count >= 55 {
            var next = f[20], at = 54
            if next == 44 {   // a fragment header: the first fragment's next header
                guard f.count >= 62, (Int(f[56]) << 8 | Int(f[57])) & 0xfff8 == 0 else { return false }
                next = f[54]; at = 62
            }
            return next == 17 || (next == 58 && f.count > at && f[at] == 128)
        }
        return false
    }

    /// One capture through the guest and the model; the table goes to this process's stdout as
    /// compare.py prints it. True when every field agrees.
    /// `driver`: the guest's NICs, e1000 or virtio_net (check.sh's DRIVER).
    /// `send`: the capture shows a program of the host's sending; its sends are made by a program
    /// in the guest and the peer's frames sent in between (tx-check.sh), compared with `tracer
    /// replay --tx`.
    public static func check(capture: String, host: String, tracer: String, scripts: String, assets: String, driver: String = "e1000",
                             send: Bool = false) throws -> Bool {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tracer-vm-\(getpid())-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = send ? ["bash", scripts + "/tx-check.sh", assets, tracer, capture, host, out]
            : ["bash", scripts + "/check.sh", assets, tracer, capture, host, out, "--graph"]
        p.environment = ProcessInfo.processInfo.environment.merging(["DRIVER": driver]) { $1 }
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
