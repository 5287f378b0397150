// Load on the capture's clock: receive buffers, their readers, the softirq's backlog.
import Capture
import Foundation
import Testing
import TestSupport
import Wire
@testable import Kernel
@testable import HostModel

@Suite struct LoadTests {
    /// Fixtures/captures/udp-flood.pcap is a real flood (Fixtures/scripts/capture-flood.sh) into
    /// a socket whose application did not read; the kernel counted what udp-flood.nstat says.
    /// The model, given the snapshot taken after it, drops exactly as many.
    @Test func aRealFloodDropsWhatTheKernelDropped() throws {
        let host = try Host.load(packageRoot + "/Fixtures/hosts/udp-flood")
        let kernel = Kernel(host: host, profile: Profile())
        let reader = try CaptureReader(path: fixture("udp-flood.pcap"))
        var totals: [String: Int] = [:]
        let eth0 = host.interface(named: "eth0")!
        while let f = try reader.next() {
            let r = kernel.receive(frame: Array(f.bytes), linkType: reader.linkType, iface: eth0,
                                   time: Double(f.timestamp.seconds) + Double(f.timestamp.nanoseconds) / 1e9,
                                   timestamp: (f.timestamp.seconds, f.timestamp.nanoseconds))
            r.counters.forEach { c, n in totals[c.name, default: 0] += n }
        }
        let kernelCounted = try String(contentsOfFile: fixture("udp-flood.nstat"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ") }
        #expect(kernelCounted.count == 2)
        for line in kernelCounted {
            #expect(totals[String(line[0]), default: 0] == Int(line[1])!, "\(line[0])")
        }
        let load = kernel.loadReport().sockets.first { $0.name == "udp 0.0.0.0:5000" }!
        // ss -m after the flood showed r212480: the queue's high water.
        #expect(load.highWater == 212_480)
        #expect(load.dropped == 1834)
    }

    /// udp_rmem_release gives memory back a quarter of the buffer at a time while the reader
    /// queue holds more: a read does not at once make room.
    @Test func readsReleaseMemoryInQuarters() {
        let s = UDPSock(name: "t", rcvbuf: 16_000, reader: .rate(1), acceptsIntoEmptyOnly: true)
        for i in 0..<3 {
            #expect(s.admits(2304))
            _ = s.enqueue(2304, at: Double(i) * 1e-6)
        }
        // The first was read at once (the reader was idle); the other two wait: 2304 of the
        // first came back when the reader queue emptied.
        #expect(s.read == 1)
        #expect(s.rmemAlloc == 2 * 2304)
        // One second on, the reader takes the second: 2304 < 16000/4 and the third still waits,
        // so the memory stays charged.
        #expect(s.readsDue(by: 1.0) == 1)
        #expect(s.rmemAlloc == 2 * 2304)
        // The third empties the reader queue: both come back.
        #expect(s.readsDue(by: 2.0) == 1)
        #expect(s.rmemAlloc == 0)
    }

    /// 6.18 takes a datagram over sk_rcvbuf only into an empty queue; 5.4 while the memory
    /// charged is still within it.
    @Test func admissionRules() {
        let new = UDPSock(name: "t", rcvbuf: 8000, reader: .never, acceptsIntoEmptyOnly: true)
        let old = UDPSock(name: "t", rcvbuf: 8000, reader: .never, acceptsIntoEmptyOnly: false)
        for s in [new, old] { _ = s.enqueue(6912, at: 0) }
        #expect(!new.admits(2304))   // 6912 + 2304 > 8000, the queue not empty
        #expect(old.admits(2304))    // 6912 ≤ 8000
        #expect(UDPSock(name: "t", rcvbuf: 2304, reader: .never, acceptsIntoEmptyOnly: true).admits(65536))
    }

    /// A never-read socket under a million datagrams holds sizes, not frames, and no more of
    /// them than its buffer takes; its unlimited twin (for the SO_RCVBUF that would have done)
    /// keeps one run for a flood of one size.
    @Test func aFloodKeepsTheQueueSmall() {
        let s = UDPSock(name: "t", rcvbuf: 212_992, reader: .never, acceptsIntoEmptyOnly: true)
        for i in 0..<1_000_000 {
            let size = i % 2 == 0 ? 832 : 1280
            if s.admits(size) { _ = s.enqueue(size, at: Double(i) * 1e-7) } else { s.dropped(size, at: Double(i) * 1e-7) }
        }
        #expect(s.queuedCount <= 212_992 / 832 + 1)
        #expect(s.queuedCount + s.drops == 1_000_000)
        #expect(s.rcvbufNeeded == 500_000 * 832 + 500_000 * 1280)
        let t = UDPSock(name: "t", rcvbuf: 1 << 30, reader: .never, acceptsIntoEmptyOnly: true)
        for i in 0..<1_000_000 where t.admits(832) { _ = t.enqueue(832, at: Double(i) * 1e-7) }
        #expect(t.queuedCount == 1_000_000)
        #expect(t.queueRuns == 1)
    }

    /// enqueue_to_backlog on the capture's clock: 40 frames 100 ns apart at 1 µs each, a backlog
    /// of 8: the first nine find at most 8 queued, then one gets in each time one is done (at
    /// 1, 2 and 3 µs); without the limit the queue would have reached 37.
    @Test func backlogOverflows() {
        let sd = SoftnetData()
        var taken = 0
        for i in 0..<40 where sd.arrive(at: Double(i * 100) / 1e9, service: 1e-6, limit: 8, strictlyMore: true, budget: 300, budgetTime: 0.002) != nil {
            taken += 1
        }
        #expect(taken == 12)
        #expect(sd.processed == 12)
        #expect(sd.peakQueue == 9)
        #expect(sd.peakUnlimited == 37)
    }

    /// A busy period longer than netdev_budget packets is cut (time_squeeze).
    @Test func budgetRunsOut() {
        let sd = SoftnetData()
        for i in 0..<1000 { _ = sd.arrive(at: Double(i) * 1e-7, service: 1e-6, limit: 100_000, strictlyMore: true, budget: 300, budgetTime: 0.002) }
        #expect(sd.timeSqueeze == 3)
    }
}
