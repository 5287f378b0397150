// net/ipv4/af_inet.c — modelled: 6.18, 5.4. The inet socket operations between the socket layer
// and the protocols. inet_sendmsg ends by calling sk->sk_prot->sendmsg (a tail call: neither
// kernel's stacks show it), and so do inet_stream_connect's and inet_shutdown's callees where
// noted.

extension Kernel {
    func inet_sendmsg(_ protoSendmsg: () -> Void) {
        let f = trace.enter(.inet_sendmsg); defer { trace.leave(f) }
        trace.tailCall(from: f, protoSendmsg)
    }

    /// connect(2) on a TCP socket: inet_stream_connect → __inet_stream_connect → tcp_v4_connect.
    func inet_stream_connect(_ connect: () -> Void) {
        let f = trace.enter(.inet_stream_connect); defer { trace.leave(f) }
        let g = trace.enter(.__inet_stream_connect); defer { trace.leave(g) }
        connect()
    }

    /// shutdown(2): inet_shutdown → sk->sk_prot->shutdown (tcp_shutdown).
    func inet_shutdown(_ shutdown: () -> Void) {
        let f = trace.enter(.inet_shutdown); defer { trace.leave(f) }
        shutdown()
    }
}
