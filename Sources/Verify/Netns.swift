// Network namespaces and the commands that build them. Everything `tracer verify` makes is named
// `trv-<pid>-…`, so a later run can find and remove what a killed run left behind.
import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct VerifyError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

public enum Shell {
    /// Set when the run is being torn down (a signal): no new command starts after that, so
    /// nothing is made behind the cleanup's back.
    nonisolated(unsafe) static var stopping = false

    /// Runs a command; throws with its stderr when it fails (unless `check` is false).
    @discardableResult
    public static func run(_ args: [String], netns: String? = nil, input: String? = nil, check: Bool = true) throws -> String {
        if stopping && !(args.first == "ip" && args.dropFirst().first == "netns") { throw VerifyError("stopping") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = (netns.map { ["ip", "netns", "exec", $0] } ?? []) + args
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        if input != nil { p.standardInput = inp }
        try p.run()
        if let input { inp.fileHandleForWriting.write(Data(input.utf8)); try? inp.fileHandleForWriting.close() }
        nonisolated(unsafe) var errData = Data()
        let g = DispatchGroup()
        g.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        g.wait()
        p.waitUntilExit()
        if check && p.terminationStatus != 0 {
            throw VerifyError("\(args.joined(separator: " ")): \(String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return String(decoding: o, as: UTF8.self)
    }
}

/// Runs `body` inside network namespace `name` (this thread only), then returns home.
func inNetns<T>(_ name: String, _ body: () throws -> T) throws -> T {
    let home = open("/proc/self/ns/net", O_RDONLY)
    let target = open("/run/netns/\(name)", O_RDONLY)
    defer { close(home); close(target) }
    guard home >= 0, target >= 0, tracer_setns(target, 0x4000_0000 /* CLONE_NEWNET */) == 0 else {
        throw VerifyError("cannot enter network namespace \(name)")
    }
    defer { _ = tracer_setns(home, 0x4000_0000 /* CLONE_NEWNET */) }
    return try body()
}

enum Leftovers {
    /// Removes every namespace this process made (`trv-<pid>-…`), known to the caller or not.
    static func removeOwn() {
        let prefix = "trv-\(getpid())-"
        let netns = (try? Shell.run(["ip", "netns", "list"], check: false)) ?? ""
        for line in netns.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            if name.hasPrefix(prefix) { _ = try? Shell.run(["ip", "netns", "del", name], check: false) }
        }
    }

    /// Removes namespaces and trace instances of `tracer verify` runs whose process is gone.
    static func clean() {
        let netns = (try? Shell.run(["ip", "netns", "list"])) ?? ""
        for line in netns.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            if let pid = ownerPID(name), !alive(pid) { _ = try? Shell.run(["ip", "netns", "del", name], check: false) }
        }
        let dir = "\(Tracing.root)/instances"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            if let pid = ownerPID(name), !alive(pid) { Tracing.remove(instance: "\(dir)/\(name)") }
        }
    }

    /// `trv-<pid>-…` → pid.
    static func ownerPID(_ name: String) -> Int32? {
        let parts = name.split(separator: "-")
        guard parts.count >= 2, parts[0] == "trv" else { return nil }
        return Int32(parts[1])
    }

    static func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }
}
