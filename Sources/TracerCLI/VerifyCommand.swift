import ArgumentParser
import Capture
import Foundation
import HostModel
import Kernel
import Verify
import Wire

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the model against the real kernel (root): replay captures into namespaces built from a snapshot.",
        discussion: """
        For each received frame: the model's prediction, and what the kernel did in a throwaway \
        topology built from the snapshot (a host namespace, one veth per interface, each peer in \
        a wire namespace of its own) — skb:kfree_skb/consume_skb with reason, location and \
        stack, fib:fib_table_lookup, SNMP counter deltas, every frame the host put on a wire. \
        Fields compared: \(Comparison.fields.joined(separator: ", ")). A frame the host itself \
        sends is its answer to an earlier frame (compared there), a timer's (a SYN sent again: \
        waited for and compared), or an application's call, which a real socket in the host \
        namespace makes again (UDP, ping or raw ICMP, a TCP SYN by connect, raw IP_HDRINCL; later \
        in a TCP conversation: send, shutdown, close or read on the connected or accepted \
        socket), comparing what the call returned too. TCP conversations are live-played: each \
        injected peer segment's ack, SACK blocks and TS echo are rewritten to the kernel's own \
        ISN and clock. A capture of the host's own frames is replayed on its own clock. \
        Ethernet, Linux cooked (SLL, SLL2: packet type and interface index) and raw IPv4 \
        captures are replayed, several interfaces at once; a frame that cannot be replayed is \
        listed with its reason and counted apart.

        --vm: the real kernel is instead Debian 12's 6.1 in a qemu guest (TCG), one e1000 per \
        snapshot interface on a tap in a namespace of ours (--driver virtio_net: a virtio-net-pci \
        each); the guest applies the snapshot, runs the function tracer from the driver's NAPI \
        poll (e1000_clean, virtnet_poll), and takes the frames one at a time; the model runs \
        --kernel 6.1 with that driver. Compared per frame: drops (reason, function), counters, the \
        frames sent back, and the call path (the model's functions in order, none it calls \
        inlined entered). IPv4 and IPv6 (the guest has the snapshot's IPv6 addresses, routes and \
        neighbours); Ethernet pcap or pcapng captures; about 10 s to boot, then 1.5 s a frame. A \
        capture of the host's own frames (the first from one of the snapshot's MACs) is sent \
        instead: a program in the guest sends its first packet (a UDP datagram, IPv4 or IPv6; \
        ping's echo request; an IPv4 IP_HDRINCL packet; not TCP yet) with the function tracer on \
        __x64_sys_sendto, beside `tracer replay --tx`. Needs `make vm-setup` \
        (the guest's kernel and initramfs) and qemu-system-x86.

        Exit status: 0 all agree, 1 a disagreement or an error.

        Examples:
          sudo tracer verify Fixtures/rx/udp-closed-port.pcap --host Fixtures/hosts/netns-h
          sudo tracer verify Fixtures/rx/*.pcap --host Fixtures/hosts/netns-h --format json
          sudo tracer verify Fixtures/captures/wild-router.pcap --host Fixtures/hosts/wild-router
          sudo tracer verify --vm Fixtures/rx/forward.pcap --host Fixtures/hosts/netns-h
          sudo tracer verify --vm --driver virtio_net Fixtures/rx/udp-delivered.pcap --host Fixtures/hosts/netns-h
          sudo tracer verify --vm Fixtures/tx/ipv6-udp-small.pcap --host Fixtures/hosts/netns-h6
        """
    )

    @Argument(help: "Captures to replay (Ethernet, LINUX_SLL, LINUX_SLL2, RAW/IPV4).")
    var captures: [String]

    @Option(help: ArgumentHelp("The host snapshot directory to build.", valueName: "dir"))
    var host: String

    @Option(help: ArgumentHelp("Only frames matching this tcpdump filter expression.", valueName: "expression"))
    var filter: String?

    @Option(help: "text: a line per frame and a table; json: one object per frame.")
    var format: OutputFormat = .text

    @OptionGroup var model: ModelOptions

    @Option(help: ArgumentHelp("Write the kernel's side of every frame as JSON lines to this file.", valueName: "file"))
    var record: String?

    @Option(help: ArgumentHelp("Run a capture that disagrees again, up to this many times (tracing is machine-wide: other activity can leak into a run). Every disagreement is still printed.", valueName: "n"))
    var retries: Int = 0

    @Option(help: "The sending sockets' IP_MTU_DISCOVER (and IPV6_MTU_DISCOVER) setting, in the replay and in the model.")
    var pmtudisc: PMTUDisc = .want

    @Option(help: .hidden)
    var mutateReason: String?

    @Flag(help: "Verify against Debian's 6.1 kernel in a qemu guest on e1000s (--driver virtio_net: virtio-net-pci NICs), with the full call path, instead of this machine's kernel.")
    var vm = false

    func validate() throws {
        for (port, policy) in try model.parsedReaders() {
            if case .rate = policy {
                // The replay's frames come milliseconds apart, not the capture's microseconds: a
                // reader paced on the wall clock would not read what the model's reads.
                throw ValidationError("--reader \(port)=\(policy): tracer verify cannot pace an application's reads to the capture's clock; give prompt or never (explain models rates)")
            }
        }
    }

    func run() throws {
        if vm { return try runInGuest() }
        if let why = Verifier.unavailableReason() { throw fail(why) }
        let verifier: Verifier
        do { verifier = try Verifier(snapshotDirectory: host, profile: model.profile); verifier.readers = model.readers; verifier.serviceTime = model.serviceTime }
        catch { throw fail("host snapshot \(error)") }
        verifier.pmtudisc = pmtudisc
        if let m = mutateReason {
            let parts = m.split(separator: "=").map(String.init)
            if parts.count == 2 { verifier.mutateReason = (parts[0], parts[1]) }
        }
        var recordLines: [String] = []
        let out = Output()
        var all: [FrameVerdict] = []
        for capture in captures {
            var attempt = 0
            while true {
                var lines: [String] = []
                let verdicts: [FrameVerdict]
                do {
                    verdicts = try verifier.run(capture: capture, filter: filter, record: { lines.append($0) }) { v in
                        out.line(format == .json ? Self.json(v) : Self.text(v))
                        out.flush()
                    }
                } catch {
                    out.flush()
                    throw fail("\(capture): \(error)")
                }
                if verdicts.allSatisfy(\.agrees) || attempt >= retries {
                    all += verdicts
                    recordLines += lines
                    break
                }
                attempt += 1
                out.line("\((capture as NSString).lastPathComponent): disagreement above; running it again (\(attempt) of \(retries))")
            }
        }
        if let record {
            try? (recordLines.joined(separator: "\n") + "\n").write(toFile: record, atomically: true, encoding: .utf8)
        }
        if format == .text { for l in Self.table(all) { out.line(l) } }
        out.flush()
        if !all.allSatisfy(\.agrees) { throw ExitCode.failure }
    }

    /// --vm: each capture through the 6.1 guest (VMGuest) and the model's 6.1 profile, with the
    /// guest's driver: e1000 unless --driver virtio_net.
    func runInGuest() throws {
        if model.kernel == .v5_4 || model.driver == .veth {
            let given = model.driver == .veth ? "--driver veth" : "--kernel \(model.kernel.rawValue)"
            throw fail("--vm: the guest runs Debian's 6.1 on e1000s (or virtio_net), so the model is compared as --kernel 6.1 --driver e1000 (or virtio_net), not \(given)")
        }
        let driver: DriverKind = model.driver ?? .e1000
        if filter != nil || record != nil || format == .json || retries > 0 || mutateReason != nil {
            throw fail("--vm: --filter, --record, --format json, --retries are not supported with a guest yet")
        }
        if model.kernel != .v6_1 { FileHandle.standardError.write(Data("tracer verify --vm: the model runs --kernel 6.1 --driver \(driver.rawValue) (the guest's kernel and NIC)\n".utf8)) }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let scripts = VMGuest.scripts(executable: exe)
        let assets = VMGuest.assets(scripts: scripts ?? "")
        if let why = VMGuest.unavailableReason(scripts: scripts, assets: assets) { throw fail(why) }
        let snapshot: HostModel.Host
        do { snapshot = try HostModel.Host.load(host) } catch { throw fail("host snapshot \(error)") }
        var agree = true
        for capture in captures {
            let reader: CaptureReader
            do { reader = try CaptureReader(path: capture) } catch { throw fail("\(capture): \(error)") }
            guard reader.linkType == .ethernet else {
                throw fail("\(capture): tracer verify --vm replays Ethernet captures (the guest's NICs are \(driver.rawValue)); this one is \(reader.linkType)")
            }
            let magic = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: capture)).readData(ofLength: 4)) ?? Data()
            let isPcap = magic.count == 4 && [0xa1b2c3d4, 0xa1b23c4d].contains(magic.withUnsafeBytes { $0.load(as: UInt32.self) })
            FileHandle.standardOutput.write(Data("== \(capture)\n".utf8))
            // A capture of a program's sends (its first frame one of the host's, or any frame of
            // the host's a program sends: VMGuest.isProgramSend): a program in the guest makes
            // them, and the peer's frames go in between (tx-check.sh); else every frame is sent
            // in to the guest. The guest's injector reads classic pcap: a pcapng is rewritten as
            // one first, frame for frame through libpcap, and both sides get that copy.
            var given = capture, sends = false, first = true
            let writer: CaptureWriter?
            if isPcap { writer = nil } else {
                given = NSTemporaryDirectory() + "tracer-vm-\(getpid()).pcap"
                do { writer = try CaptureWriter(path: given, linkType: .ethernet, snapLength: reader.snapLength) } catch { throw fail("\(capture): \(error)") }
            }
            defer { if given != capture { try? FileManager.default.removeItem(atPath: given) } }
            do {
                while let f = try reader.next() {
                    writer?.write(f.bytes, timestamp: f.timestamp, wireLength: f.wireLength)
                    if !sends && f.bytes.count >= 12 && snapshot.interface(mac: MACAddress(f.bytes, at: 6)) != nil {
                        sends = first || VMGuest.isProgramSend(Array(f.bytes))
                    }
                    first = false
                    if sends && writer == nil { break }   // nothing more to copy or learn
                }
                try writer?.close()
            } catch { throw fail("\(capture): \(error)") }
            if sends { FileHandle.standardOutput.write(Data("a program's sends: made by a program in the guest, the peer's frames sent in between\n".utf8)) }
            agree = try VMGuest.check(capture: given, host: host, tracer: exe, scripts: scripts!, assets: assets, driver: driver.rawValue,
                                      send: sends) && agree
        }
        if !agree { throw ExitCode.failure }
    }

    static func text(_ v: FrameVerdict) -> String {
        let head = "\((v.capture as NSString).lastPathComponent) frame \(v.frame): "
        if let s = v.skipped { return head + "skipped (\(s))" }
        let bad = v.results.filter { !$0.agrees }
        if bad.isEmpty { return head + "agree  (\(v.summary))" }
        return head + "DISAGREE  (\(v.summary))\n" + bad.map { "    \($0.field): \($0.detail)" }.joined(separator: "\n")
    }

    static func json(_ v: FrameVerdict) -> String {
        var o = JSONObject()
        o.add("capture", v.capture)
        o.add("frame", v.frame)
        o.add("summary", v.summary)
        o.add("agree", v.agrees)
        if let s = v.skipped { o.add("skipped", s) } else { o.addNull("skipped") }
        var f = JSONObject()
        for r in v.results {
            var j = JSONObject(); j.add("agree", r.agrees); j.add("detail", r.detail)
            f.addRaw(named: r.field, j.closed())
        }
        o.addRaw("fields", f.closed())
        return o.closed()
    }

    /// Captures × fields: frames agreeing / frames compared.
    static func table(_ all: [FrameVerdict]) -> [String] {
        let fields = Comparison.fields
        let caps = all.reduce(into: [String]()) { if !$0.contains($1.capture) { $0.append($1.capture) } }
        let width = max(24, caps.map { ($0 as NSString).lastPathComponent.count }.max() ?? 0)
        // A cell holds "n/m" and a space: wider for captures of thousands of frames.
        let most = caps.map { c in all.filter { $0.capture == c && $0.skipped == nil }.count }.max() ?? 0
        let cell = max(9, 2 * String(most).count + 2)
        var lines = ["", "conformance (frames agreeing / frames compared; skipped: frames not replayed, each with its reason above):",
                     "capture".padding(toLength: width, withPad: " ", startingAt: 0) + " " + fields.map { String($0.prefix(cell - 1)).padding(toLength: cell, withPad: " ", startingAt: 0) }.joined()
                        + "skipped"]
        var agreeing = 0, compared = 0
        for c in caps {
            let frames = all.filter { $0.capture == c && $0.skipped == nil }
            var line = (c as NSString).lastPathComponent.padding(toLength: width, withPad: " ", startingAt: 0) + " "
            for f in fields {
                let ok = frames.filter { $0.results.first { $0.field == f }?.agrees ?? false }.count
                agreeing += ok; compared += frames.count
                line += "\(ok)/\(frames.count)".padding(toLength: cell, withPad: " ", startingAt: 0)
            }
            lines.append(line + "\(all.filter { $0.capture == c && $0.skipped != nil }.count)")
        }
        let frames = all.filter { $0.skipped == nil }
        lines.append("overall: \(frames.filter(\.agrees).count) of \(frames.count) frames agree on every field; \(agreeing) of \(compared) frame-fields agree")
        // Why frames were not replayed, most common first (an answer compared at its frame is
        // not a gap: it is counted apart).
        let skipped = all.compactMap(\.skipped).filter { !$0.hasPrefix("the host's answer to frame ") }
        let answers = all.compactMap(\.skipped).count - skipped.count
        var why: [String: Int] = [:]
        for s in skipped { why[s, default: 0] += 1 }
        lines.append("skipped: \(answers) the host's answers (compared at the frame they answer), \(skipped.count) not replayed"
                     + (why.isEmpty ? "" : ":"))
        for (reason, n) in why.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) { lines.append("  \(n) × \(reason)") }
        return lines
    }
}
