// The `tracer` command line: subcommands and the options they share.
import ArgumentParser
import Capture
import HostModel
import Kernel
#if canImport(Glibc)
import Glibc
#endif

public struct TracerCommand: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "tracer",
        abstract: "Explain what the Linux kernel does with every packet in a capture.",
        discussion: """
        tracer reads a pcap/pcapng capture through libpcap and, frame by frame, follows it \
        through a model of the Linux kernel's receive and transmit paths.

        Examples:
          tracer explain capture.pcap                     every frame, one line each
          tracer explain capture.pcap 'udp port 53' -c 10 the first ten DNS frames
          tracer explain capture.pcapng --format json     one JSON object per frame
          tracer explain capture.pcap --host ./snap       against a host snapshot
          tracer explain cap.pcap --format bt --kernel 5.4 --driver e1000 --break ip_rcv
          tracer replay --tx capture.pcap -w wire.pcap    as sent by the host's own sockets
          tracer diff cap.pcap --before ./snap --set net.ipv4.ip_forward=0   which frames change fate
          tracer report cap.pcap -o report.html           one HTML page: totals, flow diagram, drops over time
          tracer explain cap.pcap --frame 7 --format dot | dot -Tsvg > frame7.svg   the frame's way, drawn
          sudo tracer verify capture.pcap --host ./snap   the model against the live kernel
          tracer snapshot -o ./snap                       snapshot this machine's network setup
          tracer host --host ./snap                       show what a snapshot loads as

        Exit status: 0 all frames read; 1 a capture, snapshot or output could not be read or \
        written (a one-line message names the file and frame); 64 bad usage.
        """,
        version: "tracer \(version) (\(CaptureReader.libpcapVersion))",
        subcommands: [ExplainCommand.self, ReplayCommand.self, DiffCommand.self, ReportCommand.self, VerifyCommand.self, SnapshotCommand.self, HostCommand.self]
    )

    public init() {}
}

public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json, bt, dot, svg

    /// The flow diagram (dot, or drawn as SVG): machine-read, so notes go to stderr, and no why-not.
    var isDiagram: Bool { self == .dot || self == .svg }
}

extension KernelVersion: ExpressibleByArgument {}
extension DriverKind: ExpressibleByArgument {}

/// Options every capture-reading subcommand takes.
public struct CaptureOptions: ParsableArguments {
    @Argument(help: "The capture to read (pcap or pcapng).")
    var capture: String

    @Argument(help: ArgumentHelp("A filter expression, as tcpdump takes it (compiled by libpcap).", valueName: "expression"))
    var filter: [String] = []

    @Option(name: .short, help: ArgumentHelp("Stop after <count> frames that pass the filter.", valueName: "count"))
    var count: Int?

    @Option(help: ArgumentHelp("The host: a snapshot directory, or 'default' for the embedded one. Without it, the host is inferred from the capture.", valueName: "dir|default"))
    var host: String?

    @Flag(help: "With --host: complete the snapshot from the capture where it is silent (listeners, sockets, neighbours, routes for where the host sends), each addition printed.")
    var infer = false

    @Option(help: ArgumentHelp("The interface frames arrive on when the capture does not say.", valueName: "name"))
    var iface: String?

    @Option(help: "Output format: text, json (one object per line), bt (a gdb-style backtrace per frame), dot (the packet-flow diagram with the frame's way drawn in, one digraph per frame), svg (that diagram drawn by Graphviz, for one frame: with --frame N or -c 1).")
    var format: OutputFormat = .text

    @OptionGroup var model: ModelOptions

    @Flag(help: "Print only the totals at the end: frames by verdict, drop reasons, SNMP counters.")
    var stats = false

    @Option(help: ArgumentHelp("Print only frame <number> of the file (counted before any filter); the frames before it still run through the model, so its state is theirs.", valueName: "number"))
    var frame: Int?

    @Option(name: .customLong("jobs"), help: ArgumentHelp("Threads: the model runs in capture order on one, the dissection and rendering of each frame's output on the others (default: the machine's cores; the output is the same for every N).", valueName: "N"))
    var jobsOption: Int?

    /// `--jobs`, else the cores this process may run on.
    var jobs: Int { jobsOption ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    var kernel: KernelVersion { model.kernel }
    var driver: DriverKind { model.driver ?? .veth }

    @Option(name: .customLong("break"), help: ArgumentHelp("With --format bt: the backtrace when FUNCTION is entered, like `b FUNCTION` then `bt` in gdb.", valueName: "function"))
    var breakpoint: String?

    public init() {}

    public func validate() throws {
        if let count, count < 1 { throw ValidationError("-c takes a positive number of frames") }
        if let frame, frame < 1 { throw ValidationError("--frame takes a frame number, counted from 1") }
        if format == .svg && frame == nil && count != 1 { throw ValidationError("--format svg draws one frame: add --frame N (or -c 1); --format dot writes every frame's digraph") }
        if frame != nil && stats { throw ValidationError("--frame prints one frame: it does not go with --stats") }
        if let jobsOption, !(1...256).contains(jobsOption) { throw ValidationError("--jobs takes 1 to 256 threads, not \(jobsOption)") }
        if breakpoint != nil && format != .bt { throw ValidationError("--break goes with --format bt") }
        if infer && host == nil { throw ValidationError("--infer completes a snapshot: it goes with --host (without --host the whole host is inferred)") }
    }

    var filterExpression: String? { filter.isEmpty ? nil : filter.joined(separator: " ") }
}

/// The kernel and driver profiles the model runs (explain, replay, verify).
public struct ModelOptions: ParsableArguments {
    @Option(help: "The kernel whose paths and drop reasons to model.")
    var kernel: KernelVersion = .v6_18

    @Option(help: ArgumentHelp("The driver frames enter through: veth, e1000 or virtio_net (6.1 and 6.18). Given, it wins over a host snapshot's drivers; not given, each interface's driver comes from the snapshot, else veth.", valueName: "driver"))
    var driver: DriverKind?

    @Option(name: .customLong("reader"), parsing: .singleValue,
            help: ArgumentHelp("How the application on a UDP port reads it: PORT=prompt (each datagram at once, the default, counted UdpInDatagrams), PORT=never (it stays queued and fills the socket's receive buffer) or PORT=N/s (one datagram every 1/N s while any is queued, on the capture's clock). Repeatable; a port the snapshot's ss shows with a Recv-Q defaults to never.", valueName: "port=policy"))
    var readerSpecs: [String] = []

    @Option(name: .customLong("service-time"),
            help: ArgumentHelp("The CPU time the receive softirq spends on each packet, which a capture does not show: frames arriving faster queue in the CPU's backlog (veth: beyond net.core.netdev_max_backlog they drop, CPU_BACKLOG) or the NIC's RX ring (e1000, 256 descriptors), and a round longer than net.core.netdev_budget packets or netdev_budget_usecs counts a time_squeeze. 500ns, 1us (the default), 2ms; 0 never queues.", valueName: "time"))
    var serviceTimeText = "1us"

    public init() {}

    public func validate() throws {
        if kernel == .v5_4 && driver == .virtio_net {
            throw ValidationError("--driver virtio_net is modelled for --kernel 6.1 and 6.18, not 5.4 (no 5.4 build at hand to say what it inlined)")
        }
        _ = try parsedReaders()
        _ = try parsedServiceTime()
    }

    /// `--service-time` in seconds: a number with ns, us (µs) or ms, or 0.
    func parsedServiceTime() throws -> Double {
        let t = serviceTimeText.trimmingCharacters(in: .whitespaces)
        if t == "0" { return 0 }
        for (suffix, scale) in [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3)] where t.hasSuffix(suffix) {
            if let v = Double(t.dropLast(suffix.count)), v >= 0, v.isFinite, v * scale <= 1 { return v * scale }
        }
        throw ValidationError("--service-time takes a time per packet such as 500ns, 1us or 2ms (at most 1 s), or 0, not '\(serviceTimeText)'")
    }

    var serviceTime: Double { (try? parsedServiceTime()) ?? 1e-6 }

    func parsedReaders() throws -> [UInt16: ReaderPolicy] {
        var out: [UInt16: ReaderPolicy] = [:]
        for spec in readerSpecs {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let port = UInt16(parts[0]), let policy = ReaderPolicy(argument: parts[1]) else {
                throw ValidationError("--reader takes PORT=prompt, PORT=never or PORT=N/s (e.g. 5000=200/s), not '\(spec)'")
            }
            out[port] = policy
        }
        return out
    }

    var readers: [UInt16: ReaderPolicy] { (try? parsedReaders()) ?? [:] }

    var profile: Profile { Profile(kernel: kernel, driver: driver ?? .veth, driverIsExplicit: driver != nil) }
}

/// An error already reported as one line; the command exits with `ExitCode.failure`.
struct Reported: Error {}

func fail(_ message: String) -> ExitCode {
    reportError(message)
    return ExitCode.failure
}
