// The 6.1 profile against the recorded answers of a real 6.1 kernel: each Fixtures/vm/recorded/NAME
// holds what `make oracle-vm` saw Debian's 6.1 guest do with Fixtures/rx/NAME.pcap (its console:
// kfree_skb with stacks, the counters before and after each frame, the function_graph record of
// each frame's softirq; the frames it sent, from its taps; when each frame went in), gzipped.
// Fixtures/vm/recorded-virtio_net/NAME the same with the guest's NICs virtio_net.
// Fixtures/vm/compare.py sets `tracer explain --kernel 6.1 --driver e1000` (or virtio_net)
// beside them, field by field, as oracle-vm does after a boot: no VM is needed here, so `make test` keeps the model
// where the 6.1 kernel was. (Rerecord with `make oracle-vm VM_RECORD=1`, `make oracle-vm-virtio VM_RECORD=1`.)
import Foundation
import Testing
import TestSupport

@Suite struct VMRecordTests {
    /// The guest's NICs and the directory their runs are kept in.
    static let drivers = [("e1000", "recorded"), ("virtio_net", "recorded-virtio_net")]

    /// Each record as "DRIVER/NAME".
    static let recorded: [String] = drivers.flatMap { driver, dir in
        ((try? FileManager.default.contentsOfDirectory(atPath: packageRoot + "/Fixtures/vm/" + dir)) ?? []).sorted().map { "\(driver)/\($0)" }
    }

    @Test func thereAreRecords() {
        // The issue's cases: UDP delivered and to a closed port, a TCP handshake, forwarding,
        // reassembly, a netfilter drop; a receive buffer that fills (its socket never read) and
        // one read as datagrams come; on the e1000, and on virtio_net.
        for driver in ["e1000", "virtio_net"] {
            for name in ["udp-delivered", "udp-closed-port", "tcp-handshake-data-fin", "forward", "frag-out-of-order", "nft-drop",
                         "udp-rcvbuf-full", "udp-rcvbuf-read"] {
                #expect(Self.recorded.contains("\(driver)/\(name)"), "no record of \(name) on \(driver)")
            }
        }
    }

    @Test(arguments: recorded)
    func agreesWithThe61Guest(record: String) throws {
        let driver = String(record.split(separator: "/")[0]), name = String(record.split(separator: "/")[1])
        let dir = Self.drivers.first { $0.0 == driver }!.1
        let hostFile = packageRoot + "/Fixtures/rx/\(name).host"
        let host = (try? String(contentsOfFile: hostFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "netns-h"
        let r = try run(path: "/usr/bin/env", ["python3", "Fixtures/vm/compare.py", tracerBinary, "Fixtures/rx/\(name).pcap",
                                               "Fixtures/hosts/\(host)", "Fixtures/vm/\(dir)/\(name)", "--kernel", "6.1", "--driver", driver],
                        directory: packageRoot)
        let disagreements = r.out.split(separator: "\n").filter { !$0.hasPrefix("agree") }
        #expect(r.status == 0, "\(record): \(disagreements.joined(separator: "\n"))\n\(r.err)")
        #expect(r.out.contains(" fields agree"), "\(record): compare.py printed no table")
    }

    /// Fixtures/vm/recorded-tx/DRIVER-NAME: Fixtures/vm/tx-check.sh's runs (the guest's sender
    /// making Fixtures/tx/NAME.pcap's sends, each as it reads its cue, the peer's frames sent in
    /// between; `make oracle-vm-tx`).
    static let recordedSends: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: packageRoot + "/Fixtures/vm/recorded-tx")) ?? []).sorted()

    @Test func thereAreSendRecords() {
        // A datagram sent, one fragmented, one refused by netfilter on output, one with no route;
        // over IPv4 and IPv6; ping's echo requests; an IP_HDRINCL packet; connects answered by a
        // SYN-ACK, a RST, a SYN-ACK failing PAWS and one acknowledging what was not sent; captures
        // of several sends with the peer's frames between them (route errors, answers read by
        // the sender, a port unreachable, a learned path MTU over IPv4 and IPv6, a server's answer);
        // sends to a STALE next hop (the seed notes' datagram) and to unresolved ones (ARP, ND).
        for name in ["e1000-udp-small", "e1000-udp-output-dropped", "e1000-udp-no-route", "virtio_net-udp-small", "virtio_net-udp-3000",
                     "e1000-ipv6-udp-small", "e1000-ipv6-udp-output-dropped", "e1000-ipv6-udp-unreachable-route", "virtio_net-ipv6-udp-3000",
                     "e1000-icmp-echo", "e1000-ipv6-ping", "e1000-raw-ip", "e1000-tcp-connect-synack", "e1000-tcp-connect-refused",
                     "e1000-tcp-connect-synack-paws", "e1000-tcp-connect-synack-bad-ack", "virtio_net-tcp-connect-synack",
                     "e1000-udp-route-errors", "e1000-udp-query-answered", "e1000-icmp-echo-answered", "e1000-udp-port-unreachable-answer",
                     "virtio_net-udp-pmtu-learned", "virtio_net-ipv6-udp-pmtu-learned", "e1000-udp-server-answers",
                     "e1000-seed-udp", "e1000-udp-unknown-neighbour", "virtio_net-ipv6-ping-unresolved"] {
            #expect(Self.recordedSends.contains(name), "no record of \(name) in Fixtures/vm/recorded-tx")
        }
    }

    @Test(arguments: recordedSends)
    func theSendAgreesWithThe61Guest(record: String) throws {
        let driver = record.hasPrefix("virtio_net-") ? "virtio_net" : "e1000"
        let name = String(record.dropFirst(driver.count + 1))
        let hostFile = packageRoot + "/Fixtures/tx/\(name).host"
        let host = (try? String(contentsOfFile: hostFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "netns-h"
        let dir = "Fixtures/vm/recorded-tx/\(record)"
        let r = try run(path: "/usr/bin/env", ["python3", "Fixtures/vm/compare.py", tracerBinary, "\(dir)/cue.pcap", "Fixtures/hosts/\(host)", dir,
                                               "--tx", "Fixtures/tx/\(name).pcap", "--kernel", "6.1", "--driver", driver],
                        directory: packageRoot)
        let disagreements = r.out.split(separator: "\n").filter { !$0.hasPrefix("agree") }
        #expect(r.status == 0, "\(record): \(disagreements.joined(separator: "\n"))\n\(r.err)")
        #expect(r.out.contains("send path"), "\(record): no send path compared")
    }
}
