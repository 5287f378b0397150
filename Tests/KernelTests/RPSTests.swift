// Receive packet steering (net/core/dev.c, CONFIG_RPS): a receive queue with CPUs in its
// rps_cpus mask (the snapshot's rps.txt) hands each packet to a backlog; process_backlog takes it
// up, where ip_rcv runs — the only way 6.1's e1000, which passes its packets up as a list, gets
// to ip_rcv. Checked against the 6.1 guest (Fixtures/vm/recorded/rps-*, Fixtures/vm/gdb/rx-rps)
// and live on 6.18 (Fixtures/rx/rps-*.kernel.jsonl); these hold the model's side of it.
import Capture
import Foundation
import Testing
import TestSupport
import Wire
@testable import Kernel
@testable import HostModel

@Suite struct RPSTests {
    func frames(_ name: String) throws -> [(bytes: [UInt8], time: Double, stamp: (Int64, Int64))] {
        let reader = try CaptureReader(path: name.hasPrefix("/") ? name : packageRoot + "/Fixtures/rx/\(name).pcap")
        var out: [(bytes: [UInt8], time: Double, stamp: (Int64, Int64))] = []
        while let f = try reader.next() {
            out.append((Array(f.bytes), Double(f.timestamp.seconds) + Double(f.timestamp.nanoseconds) / 1e9,
                        (Int64(f.timestamp.seconds), Int64(f.timestamp.nanoseconds))))
        }
        return out
    }

    func run(_ capture: String, host: Host, kernel version: KernelVersion, driver: DriverKind) throws -> [FrameReport] {
        let kernel = Kernel(host: host, profile: Profile(kernel: version, driver: driver, driverIsExplicit: true))
        let eth0 = host.interface(named: "eth0")!
        return try frames(capture).map {
            kernel.receive(frame: $0.bytes, linkType: .ethernet, iface: eth0, time: $0.time, timestamp: $0.stamp)
        }
    }

    @Test func theSnapshotSaysWhichQueuesSteer() throws {
        let host = try Host.load(packageRoot + "/Fixtures/hosts/netns-h-rps")
        #expect(host.interface(named: "eth0")?.rpsCPUs == "1")
        #expect(host.interface(named: "eth1")?.rpsCPUs == nil)   // its mask is 0
        #expect(try Host.load(packageRoot + "/Fixtures/hosts/netns-h").interface(named: "eth0")?.rpsCPUs == nil)
    }

    /// 6.1's e1000 with RPS: get_rps_cpu hashes the packet and enqueue_to_backlog queues it, off
    /// the list; the softirq's next pass runs process_backlog → __netif_receive_skb → ip_rcv.
    @Test func aSteeredPacketIsTakenUpFromTheBacklog() throws {
        let rps = try Host.load(packageRoot + "/Fixtures/hosts/netns-h-rps")
        let steered = try run("rps-udp-delivered", host: rps, kernel: .v6_1, driver: .e1000)[0]
        let names = steered.path.map(\.function)
        #expect(steered.verdict.action == .deliver)
        let order = ["netif_receive_skb_list_internal", "get_rps_cpu", "__skb_get_hash_net", "enqueue_to_backlog",
                     "net_rx_action", "process_backlog", "__netif_receive_skb", "__netif_receive_skb_one_core", "ip_rcv"]
        var at = 0
        for fn in order {
            guard let i = names[at...].firstIndex(of: fn) else { Issue.record("\(fn) not after \(order.prefix { $0 != fn })"); return }
            at = i + 1
        }
        #expect(!names.contains("ip_list_rcv"))
        // Without the mask: the list path, and no hash.
        let plain = try run("udp-delivered", host: try Host.load(packageRoot + "/Fixtures/hosts/netns-h"), kernel: .v6_1, driver: .e1000)[0]
        #expect(plain.path.map(\.function).contains("ip_list_rcv"))
        #expect(!plain.path.map(\.function).contains("get_rps_cpu"))
        #expect(!plain.path.map(\.function).contains("process_backlog"))
        // Same outcome, same counters.
        #expect(plain.verdict == steered.verdict)
        #expect(plain.counters == steered.counters)
    }

    /// veth always goes through a backlog; with rps_needed on, netif_rx_internal asks
    /// get_rps_cpu first (which hashes only for a queue with a mask).
    @Test func vethAsksGetRpsCpuWhenAnyQueueSteers() throws {
        let rps = try Host.load(packageRoot + "/Fixtures/hosts/netns-h-rps")
        let names = try run("rps-udp-delivered", host: rps, kernel: .v6_18, driver: .veth)[0].path.map(\.function)
        let i = try #require(names.firstIndex(of: "get_rps_cpu"))
        #expect(names[i + 1] == "__skb_get_hash_net")
        #expect(names.firstIndex(of: "enqueue_to_backlog")! > i)
    }

    /// A steered e1000 packet's cost is the backlog's: a burst (40 frames 100 ns apart, 1 µs
    /// each) overflows a backlog of 8 (CPU_BACKLOG at enqueue_to_backlog) where the e1000's ring
    /// of 256 would have taken them all.
    @Test func aSteeredBurstOverflowsTheBacklogNotTheRing() throws {
        var rps = try Host.load(packageRoot + "/Fixtures/hosts/netns-h-rps")
        rps.sysctls.values["net.core.netdev_max_backlog"] = "8"
        let burst = packageRoot + "/Fixtures/captures/backlog-burst.pcap"
        let steered = try run(burst, host: rps, kernel: .v6_1, driver: .e1000)
        let drops = steered.filter { $0.verdict.action == .drop }
        #expect(drops.count == 28)
        #expect(drops.allSatisfy { $0.verdict.reason == "CPU_BACKLOG" && $0.verdict.function == "enqueue_to_backlog" })
        var plain = try Host.load(packageRoot + "/Fixtures/hosts/netns-h")
        plain.sysctls.values["net.core.netdev_max_backlog"] = "8"
        #expect(try run(burst, host: plain, kernel: .v6_1, driver: .e1000).allSatisfy { $0.verdict.action != .drop })
    }
}
