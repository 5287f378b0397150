import ArgumentParser
import HostModel

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Write this machine's network configuration as a host snapshot directory.",
        discussion: """
        Runs, in the current network namespace, each command a snapshot is made of and writes its
        unedited output (files whose command is missing are left out):
        \(SnapshotFile.allCases.map { "  \($0.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \($0.command)" }.joined(separator: "\n"))

        Examples:
          tracer snapshot -o ./snap
          ip netns exec h tracer snapshot -o ./snap-h
        """
    )

    @Option(name: .short, help: ArgumentHelp("The directory to write (created if missing).", valueName: "dir"))
    var output: String

    func run() throws {
        do {
            let snap = try Snapshot.capture()
            let host = try Host(snapshot: snap)
            try snap.write(to: output)
            reportError("wrote \(snap.files.count) files to \(output): \(host.interfaces.count) interfaces, \(host.routes.count) routes, \(host.rules.count) rules, \(host.neighbours.count) neighbours, \(host.sockets.count) sockets")
        } catch {
            throw fail("snapshot \(error)")
        }
    }
}

struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Show the host model a snapshot loads as.",
        discussion: """
        Examples:
          tracer host                  the embedded default host
          tracer host --host ./snap    a snapshot directory
        """
    )

    @Option(help: ArgumentHelp("A snapshot directory, or 'default'.", valueName: "dir|default"))
    var host: String = "default"

    func run() throws {
        let h: Host
        do { h = try Host.load(host) } catch { throw fail("host snapshot \(error)") }
        let out = Output()
        for line in HostDescription.lines(h) { out.line(line) }
        out.flush()
    }
}
