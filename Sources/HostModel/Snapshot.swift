// A host snapshot: a directory of real commands' unedited output. Missing files mean defaults.
import Foundation
import Wire

/// The files of a snapshot, the command that makes each, and whether `tracer snapshot` takes it.
public enum SnapshotFile: String, CaseIterable, Sendable {
    case addresses = "ip-addr.json"
    case routes = "ip-route.json"
    case routes6 = "ip6-route.json"
    case rules = "ip-rule.json"
    case rules6 = "ip6-rule.json"
    case neighbours = "ip-neigh.json"
    case multicast = "ip-maddr.json"
    case nftJSON = "nft.json"
    case nftText = "nft.txt"
    case iptablesSave = "iptables-save.txt"
    case sysctl = "sysctl.txt"
    case sockets = "ss.txt"
    case drivers = "drivers.txt"
    case rps = "rps.txt"

    /// What a user runs to make the file by hand.
    public var command: String {
        switch self {
        case .addresses: "ip -j -d addr show"
        case .routes: "ip -j route show table all"
        case .routes6: "ip -6 -j route show table all"
        case .rules: "ip -j rule show"
        case .rules6: "ip -6 -j rule show"
        case .neighbours: "ip -j neigh show"
        case .multicast: "ip -j maddr show"
        case .nftJSON: "nft -j list ruleset"
        case .nftText: "nft list ruleset"
        case .iptablesSave: "iptables-save"
        case .sysctl: "sysctl -a 2>/dev/null | grep '^net\\.'"
        case .sockets: "ss -H -tuanm"
        case .drivers: "grep -H DRIVER= /sys/class/net/*/device/uevent"
        case .rps: "grep -H . /sys/class/net/*/queues/rx-*/rps_cpus"
        }
    }
}

public struct SnapshotError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String
    public init(file: String, message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}

/// Snapshot contents by file, as text: what `Host(snapshot:)` reads and `write(to:)` writes.
public struct Snapshot: Equatable, Sendable {
    public var files: [SnapshotFile: String]
    public var origin: String

    public init(origin: String, files: [SnapshotFile: String]) { self.origin = origin; self.files = files }

    /// Reads the files that exist in `directory`; an unreadable directory is an error.
    public static func read(directory: String) throws(SnapshotError) -> Snapshot {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw SnapshotError(file: directory, message: "no such snapshot directory")
        }
        var files: [SnapshotFile: String] = [:]
        for f in SnapshotFile.allCases {
            let path = (directory as NSString).appendingPathComponent(f.rawValue)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SnapshotError(file: path, message: "cannot read")
            }
            guard data.count <= 256 << 20 else { throw SnapshotError(file: path, message: "larger than 256 MiB") }
            files[f] = String(decoding: data, as: UTF8.self)
        }
        return Snapshot(origin: directory, files: files)
    }

    /// Runs each command on this machine (in its current network namespace). Files whose command
    /// is missing (no nft, no drivers) are left out, as a user would leave them out.
    public static func capture() throws(SnapshotError) -> Snapshot {
        var files: [SnapshotFile: String] = [:]
        for f in SnapshotFile.allCases {
            guard let out = runShell(f.command), !out.isEmpty else { continue }
            files[f] = out
        }
        guard files[.addresses] != nil else {
            throw SnapshotError(file: SnapshotFile.addresses.rawValue, message: "`ip -j -d addr show` failed (is iproute2 installed?)")
        }
        return Snapshot(origin: "this machine", files: files)
    }

    public func write(to directory: String) throws(SnapshotError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (f, text) in files.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let path = (directory as NSString).appendingPathComponent(f.rawValue)
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            }
        } catch {
            throw SnapshotError(file: directory, message: "cannot write: \(error.localizedDescription)")
        }
    }

    /// stdout of `sh -c command`, nil when it exits non-zero with no output.
    static func runShell(_ command: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 && data.isEmpty { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
