// net/socket.c and arch/x86/entry (the system call a send starts from) — modelled: 6.18
// (checked: the stacks of sendto, sendmsg, sendmmsg, connect and shutdown at
// net_dev_start_xmit), 5.4 (the seed notes' sendto and sendmmsg backtraces).
//
//   entry_SYSCALL_64 → do_syscall_64 → __x64_sys_sendto → __se_sys_sendto → __do_sys_sendto
//     → __sys_sendto → __sock_sendmsg (5.4: sock_sendmsg) → sock_sendmsg_nosec → inet_sendmsg
//
// The SYSCALL_DEFINE wrappers (__se_sys_*, __do_sys_*) are inlined into __x64_sys_*.

extension Kernel {
    /// The system call `name`, from the entry code down to its __do_sys_ body. `tail`: the body
    /// returns what its callee returns, and 6.18 compiles that as a jump (sendmsg: the stack
    /// shows __sys_sendmsg directly above do_syscall_64).
    func syscall(_ name: String, tail: Bool = false, _ body: () -> Void) {
        let e = trace.enter(profile.kernel == .v5_4 ? .entry_SYSCALL_64 : .entry_SYSCALL_64_after_hwframe); defer { trace.leave(e) }
        let d = trace.enter(.do_syscall_64); defer { trace.leave(d) }
        let x = trace.enter(KFunc(named: "__x64_sys_\(name)")); defer { trace.leave(x) }
        let s = trace.enter(KFunc(named: "__se_sys_\(name)")); defer { trace.leave(s) }
        let b = trace.enter(KFunc(named: "__do_sys_\(name)")); defer { trace.leave(b) }
        if tail && profile.kernel != .v5_4 { trace.tailCall(from: b, body) } else { body() }
    }

    /// A send system call down to sock_sendmsg; `sendmsg` is the protocol's sendmsg.
    func sendSyscall(_ call: Syscall, _ sendmsg: () -> Void) {
        switch call {
        case .sendto:
            syscall("sendto") {
                let f = trace.enter(.__sys_sendto); defer { trace.leave(f) }
                sock_sendmsg(sendmsg)
            }
        case .sendmsg:
            syscall("sendmsg", tail: true) {
                let f = trace.enter(.__sys_sendmsg); defer { trace.leave(f) }
                ___sys_sendmsg(sendmsg)
            }
        case .sendmmsg:
            syscall("sendmmsg") {
                let f = trace.enter(.__sys_sendmmsg); defer { trace.leave(f) }
                ___sys_sendmsg(sendmsg)
            }
        }
    }

    /// ___sys_sendmsg copies the msghdr in; 5.6 split the sending half into ____sys_sendmsg.
    func ___sys_sendmsg(_ sendmsg: () -> Void) {
        let f = trace.enter(.___sys_sendmsg); defer { trace.leave(f) }
        if profile.kernel == .v5_4 {
            sock_sendmsg(sendmsg)
        } else {
            let g = trace.enter(.____sys_sendmsg); defer { trace.leave(g) }
            sock_sendmsg(sendmsg)
        }
    }

    /// sock_sendmsg (5.4) / __sock_sendmsg (6.18) → sock_sendmsg_nosec → sock->ops->sendmsg.
    func sock_sendmsg(_ sendmsg: () -> Void) {
        let f = trace.enter(profile.kernel == .v5_4 ? .sock_sendmsg : .__sock_sendmsg); defer { trace.leave(f) }
        let g = trace.enter(.sock_sendmsg_nosec); defer { trace.leave(g) }
        sendmsg()
    }
}
