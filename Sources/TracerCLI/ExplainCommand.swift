import ArgumentParser
import Kernel

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain each received frame of a capture.",
        discussion: """
        Each frame is followed through a model of the Linux kernel's receive path: the driver, \
        __netif_receive_skb_core, ip_rcv and its checks, the routing decision (policy rules, \
        rp_filter), local delivery to a socket, forwarding or the drop, with the kernel's own \
        SKB_DROP_REASON, the function that dropped it, the frames the kernel sends in answer and \
        the SNMP counters it bumps. Fragments are reassembled on the capture's clock; TCP \
        connections are followed across the capture. Frames the host itself sends (outgoing SLL \
        packet types, or the host's own MAC as source) are its predicted answers, its neighbour \
        layer's ARP, forwarded copies, or take the transmit path as in `replay --tx`.

        The capture is a witness: a frame the capture shows the host sending that the model says \
        fails, an answer or forwarded copy it did not predict, or one it predicts that the capture \
        does not show (within 0.25 s) is marked with a `witness` line (JSON: `witness`) and counted. \
        Without --host the host is inferred from the capture (printed first): addresses, routes, \
        forwarding, sockets and, as a stated guess, firewall rules it must have had.

        Examples:
          tracer explain capture.pcap
          tracer explain capture.pcap 'tcp port 80' -c 5
          tracer explain capture.pcapng --format json --host ./snapshot
          tracer explain capture.pcap --stats                 totals only
          tracer explain capture.pcap --format bt --break ip_rcv
        """
    )

    @OptionGroup var options: CaptureOptions

    func run() throws {
        try FrameListing(options: options, direction: .rx).run()
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Explain each frame as sent by the host's own applications (--tx).",
        discussion: """
        Each IPv4 packet is taken as what an application handed to a socket, and followed from \
        the system call down to the driver: the output route (and the errno a failed lookup \
        returns), LOCAL_OUT and POST_ROUTING, fragmentation (or EMSGSIZE), the neighbour (an ARP \
        request first when the next hop is unknown) and the qdisc. The socket is chosen by \
        protocol: UDP → udp_sendmsg, TCP → connect/send/shutdown by flags, ICMP echo → a ping \
        socket (or a raw one), anything else or a foreign source address → a raw IP_HDRINCL \
        socket. Fragments in the capture are gathered into their datagram first. Frames \
        addressed to the host (its MAC, or an incoming SLL packet type) are received as \
        `explain` would: an ICMP fragmentation-needed lowers the path MTU for later sends.

        Examples:
          tracer replay --tx capture.pcap --host ./snap
          tracer replay --tx big.pcap --pmtudisc do            EMSGSIZE instead of fragments
          tracer replay --tx cap.pcap -w wire.pcap             what leaves each interface
          tracer replay --tx cap.pcap --format bt --kernel 5.4 --driver e1000 \\
                        --syscall sendmmsg --break __dev_queue_xmit
        """
    )

    @Flag(help: "Replay frames as transmitted by the host (the only mode so far).")
    var tx = false

    @Option(help: "The socket call applications send with (default: sendto; connect/shutdown for TCP SYN/FIN).")
    var syscall: Syscall?

    @Option(help: "The sockets' IP_MTU_DISCOVER setting.")
    var pmtudisc: PMTUDisc = .want

    @Flag(help: "The sockets are bound to the packets' source addresses (so source-based policy rules apply).")
    var bind = false

    @Option(name: [.customShort("w"), .customLong("write")], help: ArgumentHelp("Write every frame the host puts on a wire (fragments, ARP requests) to <file> as a pcap.", valueName: "file"))
    var write: String?

    @OptionGroup var options: CaptureOptions

    func validate() throws {
        if !tx { throw ValidationError("replay needs --tx (frames sent by the host)") }
    }

    func run() throws {
        try FrameListing(options: options, direction: .tx, send: SendOptions(syscall: syscall, pmtudisc: pmtudisc, bind: bind), writePath: write).run()
    }
}

extension Syscall: ExpressibleByArgument {}
extension PMTUDisc: ExpressibleByArgument {}
