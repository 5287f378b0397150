// The golden-output harness: each Fixtures/golden/NAME.cmd holds the arguments of one `tracer`
// run; NAME.out holds what it must print (stdout, stderr, exit status). The test runs the built
// binary from the package root and fails with a unified diff when the output changes.
// `make golden` (TRACER_UPDATE_GOLDEN=1) rewrites the .out files; CI never does.
import Foundation
import Testing
import TestSupport


/// The `tracer` binary SwiftPM built next to this test bundle.
let tracerBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // On Linux the test runner is `<bin>/tracerPackageTests.xctest`; elsewhere it is a bundle.
    while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("tracer").path) && dir.path != "/" {
        dir.deleteLastPathComponent()
    }
    return dir.appendingPathComponent("tracer").path
}()

struct Transcript: Equatable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs tracer with `args` from the package root, with colour off and a fixed terminal width.
func runTracer(_ args: [String], environment extra: [String: String] = [:]) throws -> Transcript {
    var env = ProcessInfo.processInfo.environment
    env["COLUMNS"] = "100"
    env["NO_COLOR"] = "1"
    for (k, v) in extra { env[k] = v }
    let r = try run(path: tracerBinary, args, directory: packageRoot, environment: env)
    return Transcript(status: r.status, stdout: r.out, stderr: r.err)
}

/// Splits a .cmd line into arguments: spaces separate, single quotes group.
func shellWords(_ line: String) -> [String] {
    var words: [String] = [], current = "", quoted = false, any = false
    for c in line.trimmingCharacters(in: .newlines) {
        if c == "'" { quoted.toggle(); any = true }
        else if c == " " && !quoted { if any { words.append(current) }; current = ""; any = false }
        else { current.append(c); any = true }
    }
    if any { words.append(current) }
    return words
}

func render(_ cmd: String, _ t: Transcript) -> String {
    var s = "$ tracer \(cmd.trimmingCharacters(in: .newlines))\n" + t.stdout
    if !t.stderr.isEmpty { s += "--- stderr\n" + t.stderr }
    return s + "--- exit \(t.status)\n"
}

func unifiedDiff(expected: String, actual: String, name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tracer-golden-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let a = dir.appendingPathComponent("\(name).expected"), b = dir.appendingPathComponent("\(name).actual")
    try? expected.write(to: a, atomically: true, encoding: .utf8)
    try? actual.write(to: b, atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
    p.arguments = ["-u", a.path, b.path]
    let out = Pipe()
    p.standardOutput = out
    guard (try? p.run()) != nil else { return "expected:\n\(expected)\nactual:\n\(actual)" }
    let d = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: d, as: UTF8.self)
}

let goldenDirectory = "\(packageRoot)/Fixtures/golden"
let goldenNames: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: goldenDirectory)) ?? [])
    .filter { $0.hasSuffix(".cmd") }.map { String($0.dropLast(4)) }.sorted()

@Suite struct GoldenTests {
    @Test func thereAreGoldenCases() {
        #expect(goldenNames.count >= 30)
        #expect(FileManager.default.isExecutableFile(atPath: tracerBinary), "no tracer binary at \(tracerBinary)")
    }

    @Test(arguments: goldenNames)
    func golden(name: String) throws {
        let cmd = try String(contentsOfFile: "\(goldenDirectory)/\(name).cmd", encoding: .utf8)
        let actual = render(cmd, try runTracer(shellWords(cmd)))
        let outPath = "\(goldenDirectory)/\(name).out"
        if ProcessInfo.processInfo.environment["TRACER_UPDATE_GOLDEN"] == "1" {
            try actual.write(toFile: outPath, atomically: true, encoding: .utf8)
            return
        }
        let expected = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "(no \(name).out: run `make golden`)\n"
        if expected != actual {
            Issue.record("golden output \(name) changed (make golden rewrites it):\n\(unifiedDiff(expected: expected, actual: actual, name: name))")
        }
    }
}
