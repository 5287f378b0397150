import Wire

/// Named byte fixtures, pasted from `tcpdump -vvv -X -r Fixtures/captures/netns-sll2.pcap`:
/// frames the real 6.18 kernel sent and received in a network namespace (checksum offload off,
/// so TCP/UDP checksums are complete: tcpdump says "cksum 0x9b0c (correct)", "[udp sum ok]").
enum KernelBytes {
    /// 10.1.0.1.34554 > 10.1.0.2.80: Flags [S], cksum 0x9b0c (correct), seq 4024196808,
    /// win 64240, options [mss 1460,sackOK,TS val 1757765446 ecr 0,nop,wscale 10], length 0
    static let tcpSYN = bytes(fromHex: """
        4500 003c 3dba 4000 4006 e8fd 0a01 0001
        0a01 0002 86fa 0050 efdc 5ec8 0000 0000
        a002 faf0 9b0c 0000 0204 05b4 0402 080a
        68c5 5f46 0000 0000 0103 030a
        """)!

    /// 10.1.0.2 > 10.1.0.1: ICMP 10.1.0.2 udp port 5354 unreachable, length 48 (TOS 0xc0, as
    /// icmp_send sets it), quoting the offending datagram.
    static let icmpPortUnreachable = bytes(fromHex: """
        45c0 0044 325e 0000 4001 3397 0a01 0002
        0a01 0001 0303 1127 0000 0000 4500 0028
        0c0c 4000 4011 1ab5 0a01 0001 0a01 0002
        e5f1 14ea 0014 69b3 6865 6c6c 6f20 6b65
        726e 656c
        """)!
}

/// Runs `body` with a view-able buffer over `bytes`.
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes(body)
}

extension Result {
    var error: Failure? { if case .failure(let e) = self { e } else { nil } }
}
