// What every test target needs: where the package is, running programs, temporary files.
import Foundation

/// The package root, found from this file's path (tests run from anywhere).
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A capture under Fixtures/captures.
public func fixture(_ name: String) -> String { "\(packageRoot)/Fixtures/captures/\(name)" }

/// A path in this test run's own temporary directory.
public func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tracer-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

let binDirectories = ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"]

public func installed(_ program: String) -> Bool {
    binDirectories.contains { FileManager.default.isExecutableFile(atPath: $0 + program) }
}

/// Runs a program from the system's bin directories; nil when it is not installed.
public func run(_ program: String, _ args: [String]) -> (status: Int32, out: String, err: String)? {
    guard let path = binDirectories.map({ $0 + program }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    return try? run(path: path, args)
}

/// Runs the program at `path`, reading its output and errors at once (neither pipe can fill
/// and stall it).
public func run(path: String, _ args: [String], directory: String? = nil, environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { p.environment = environment }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
