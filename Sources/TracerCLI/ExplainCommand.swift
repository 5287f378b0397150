import ArgumentParser

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain each received frame of a capture.",
        discussion: """
        Today each frame is decoded and listed (time, interface, direction, a tcpdump-like summary);
        the kernel receive-path model builds on this listing.

        Examples:
          tracer explain capture.pcap
          tracer explain capture.pcap 'tcp port 80' -c 5
          tracer explain capture.pcapng --format json --host ./snapshot
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
        abstract: "Treat each frame as sent by the host's own applications (--tx).",
        discussion: """
        Lists the frames the host would send, marked as transmitted; the transmit-path model
        (socket call down to the driver) builds on this listing.

        Example:
          tracer replay --tx capture.pcap
        """
    )

    @Flag(help: "Replay frames as transmitted by the host (the only mode so far).")
    var tx = false

    @OptionGroup var options: CaptureOptions

    func validate() throws {
        if !tx { throw ValidationError("replay needs --tx (frames sent by the host)") }
    }

    func run() throws {
        try FrameListing(options: options, direction: .tx).run()
    }
}
