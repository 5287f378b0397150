// virtio_net (drivers/net/virtio_net.c): the NIC of most virtual machines. Checked against the
// 6.1 guest on qemu's virtio-net-pci (Fixtures/vm/recorded-virtio_net, VMRecordTests); these
// hold the model's side: the poll's path and what each build inlined, the skb page_to_skb
// builds (its truesize), the driver a snapshot names, the send's start_xmit.
import Capture
import Foundation
import Testing
import TestSupport
@testable import Kernel
@testable import HostModel

@Suite struct VirtioNetTests {
    func run(_ capture: String, host: Host, kernel version: KernelVersion, driver: DriverKind, explicit: Bool = true) throws -> [FrameReport] {
        let kernel = Kernel(host: host, profile: Profile(kernel: version, driver: driver, driverIsExplicit: explicit))
        let eth0 = host.interface(named: "eth0")!
        let reader = try CaptureReader(path: packageRoot + "/Fixtures/rx/\(capture).pcap")
        var out: [FrameReport] = []
        while let f = try reader.next() {
            out.append(kernel.receive(frame: Array(f.bytes), linkType: .ethernet, iface: eth0,
                                      time: Double(f.timestamp.seconds) + Double(f.timestamp.nanoseconds) / 1e9))
        }
        return out
    }

    var netnsH: Host { get throws { try Host.load(packageRoot + "/Fixtures/hosts/netns-h") } }

    /// 6.1: virtnet_poll → receive_buf → page_to_skb, then eth_type_trans and GRO from
    /// receive_buf; virtnet_receive and receive_mergeable inlined (the guest's trace goes from
    /// virtnet_poll to receive_buf to page_to_skb). 6.18: receive_buf's tail is
    /// virtnet_receive_done, and virtnet_receive_packets sits between virtnet_receive and it.
    @Test func thePollsPath() throws {
        let six1 = try run("udp-delivered", host: netnsH, kernel: .v6_1, driver: .virtio_net)[0]
        let path = six1.path.map(\.function)
        let order = ["net_rx_action", "__napi_poll", "virtnet_poll", "virtnet_receive", "receive_buf", "receive_mergeable",
                     "page_to_skb", "eth_type_trans", "napi_gro_receive", "virtqueue_napi_complete", "napi_complete_done",
                     "netif_receive_skb_list_internal", "ip_list_rcv"]
        #expect(path.filter(order.contains) == order)
        #expect(!path.contains("virtnet_receive_done") && !path.contains("e1000_clean"))
        let inlined = Set(six1.path.filter(\.inlined).map(\.function))
        #expect(inlined.isSuperset(of: ["virtnet_receive", "receive_mergeable", "virtqueue_napi_complete"]))
        #expect(inlined.isDisjoint(with: ["virtnet_poll", "receive_buf", "page_to_skb"]))
        #expect(six1.verdict.action == .deliver)

        let six18 = try run("udp-delivered", host: netnsH, kernel: .v6_18, driver: .virtio_net)[0].path.map(\.function)
        let order18 = ["virtnet_poll", "virtnet_receive", "virtnet_receive_packets", "receive_buf", "receive_mergeable",
                       "page_to_skb", "virtnet_receive_done", "eth_type_trans", "napi_gro_receive", "napi_complete_done"]
        #expect(six18.filter(order18.contains) == order18)
    }

    /// page_to_skb: a frame of up to 128 bytes copied whole into a napi_alloc_skb (6.1: a 1 KiB
    /// page fragment, 1280; 6.18: a kmalloc'ed small head, 832); up to 1204 bytes the skb built
    /// around its 1536-byte buffer (1792), every 21st buffer 2048 (2304); longer, the copy's
    /// head and the buffer as a page fragment (1280 + 1536).
    @Test func truesizeIsTheBuffersThePacketTook() {
        #expect(Kernel.virtnetTruesize(frameLength: 60, buffer: 0, kernel: .v6_1) == 1280)
        #expect(Kernel.virtnetTruesize(frameLength: 60, buffer: 0, kernel: .v6_18) == 832)
        #expect(Kernel.virtnetTruesize(frameLength: 129, buffer: 0, kernel: .v6_1) == 1792)
        #expect(Kernel.virtnetTruesize(frameLength: 1204, buffer: 3, kernel: .v6_1) == 1792)
        #expect(Kernel.virtnetTruesize(frameLength: 1205, buffer: 3, kernel: .v6_1) == 1280 + 1536)
        #expect(Kernel.virtnetTruesize(frameLength: 1514, buffer: 3, kernel: .v6_18) == 832 + 1536)
        #expect(Kernel.virtnetTruesize(frameLength: 600, buffer: 20, kernel: .v6_1) == 2304)
        #expect(Kernel.virtnetTruesize(frameLength: 600, buffer: 41, kernel: .v6_1) == 2304)
        #expect(Kernel.virtnetTruesize(frameLength: 600, buffer: 21, kernel: .v6_1) == 1792)
        // In the 2048-byte buffer even a full-size frame leaves skb_shared_info its room.
        #expect(Kernel.virtnetTruesize(frameLength: 1514, buffer: 20, kernel: .v6_1) == 2304)

        let queues = VirtnetReceiveQueues()
        #expect((0..<3).map { _ in queues.takeBuffer(dev: "eth0") } == [0, 1, 2])
        #expect(queues.takeBuffer(dev: "eth1") == 0)
    }

    /// The socket is charged the truesize of the skb the driver built.
    @Test func theSocketIsChargedThatTruesize() throws {
        let six1 = try run("udp-delivered", host: netnsH, kernel: .v6_1, driver: .virtio_net)[0]
        #expect(six1.verdict.detail.contains("truesize 1280"), "\(six1.verdict.detail)")
        let six18 = try run("udp-delivered", host: netnsH, kernel: .v6_18, driver: .virtio_net)[0]
        #expect(six18.verdict.detail.contains("truesize 832"), "\(six18.verdict.detail)")
    }

    /// A snapshot's interface whose driver is virtio_net (ethtool -i) runs the virtio path
    /// without --driver; 5.4 has no virtio_net model and takes the profile's driver.
    @Test func theSnapshotNamesTheDriver() throws {
        var host = try netnsH
        host.interfaces[host.interfaces.firstIndex { $0.name == "eth0" }!].driver = "virtio_net"
        let fromSnapshot = try run("udp-delivered", host: host, kernel: .v6_18, driver: .veth, explicit: false)[0].path.map(\.function)
        #expect(fromSnapshot.contains("virtnet_poll") && !fromSnapshot.contains("veth_xmit"))
        let old = try run("udp-delivered", host: host, kernel: .v5_4, driver: .e1000, explicit: false)[0].path.map(\.function)
        #expect(old.contains("e1000_clean") && !old.contains("virtnet_poll"))
    }

    /// What the kernel sends back leaves through the qdisc (pfifo_fast: __dev_xmit_skb →
    /// sch_direct_xmit) to start_xmit, as the guest's trace of the SYN-ACK shows.
    @Test func theReplyLeavesThroughStartXmit() throws {
        let syn = try run("tcp-syn-listener", host: netnsH, kernel: .v6_1, driver: .virtio_net)[0]
        #expect(syn.emitted.count == 1)
        let path = syn.path.map(\.function)
        let order = ["__dev_queue_xmit", "sch_direct_xmit", "dev_hard_start_xmit", "start_xmit"]
        #expect(path.filter(order.contains) == order)
        #expect(!path.contains("e1000_xmit_frame"))
    }
}
