// CLinux: the Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE or Linux
// headers), as `tracer_` inline functions. Used by `tracer verify` only.
#ifndef TRACER_LINUX_SHIM_H
#define TRACER_LINUX_SHIM_H
#include <unistd.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <arpa/inet.h>

/// setns(2): move this thread into the network namespace `fd` refers to.
static inline int tracer_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }

/// A non-blocking AF_PACKET socket bound to `ifname` (in the caller's namespace), seeing every
/// protocol; -1 on failure (errno set).
static inline int tracer_packet_socket(const char *ifname) {
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) return -1;
    struct sockaddr_ll ll;
    memset(&ll, 0, sizeof ll);
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ALL);
    ll.sll_ifindex = (int)if_nametoindex(ifname);
    if (ll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&ll, sizeof ll) != 0) { close(fd); return -1; }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

#include <errno.h>
#include <linux/virtio_net.h>
#ifndef PACKET_VNET_HDR
#define PACKET_VNET_HDR 15   /* linux/if_packet.h, which clashes with netpacket/packet.h */
#endif

/// An AF_PACKET socket bound to `ifname` for sending only (protocol 0: it receives nothing, so
/// it holds no clones of the frames on the wire), with PACKET_VNET_HDR: each frame sent on it is
/// preceded by a virtio_net_hdr (tracer_packet_send_partial).
static inline int tracer_packet_vnet_socket(const char *ifname) {
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) return -1;
    struct sockaddr_ll ll;
    memset(&ll, 0, sizeof ll);
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = 0;
    ll.sll_ifindex = (int)if_nametoindex(ifname);
    int one = 1;
    if (ll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&ll, sizeof ll) != 0
        || setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0) { close(fd); return -1; }
    return fd;
}

/// Sends `frame` on a PACKET_VNET_HDR socket as an skb whose transport checksum is left to the
/// device (VIRTIO_NET_HDR_F_NEEDS_CSUM: skb_partial_csum_set, ip_summed = CHECKSUM_PARTIAL),
/// as a local sender's is: csum_start from the frame's start, csum_offset within the header.
/// `gso_size` > 0: a TCP/IPv4 super-packet (VIRTIO_NET_HDR_GSO_TCPV4) of `gso_size` segments, as
/// a sender with TSO hands its veth (which passes it on whole); `hdr_len` its headers' length.
static inline long tracer_packet_send_partial(int fd, const void *frame, size_t len, unsigned short csum_start, unsigned short csum_offset,
                                              unsigned short gso_size, unsigned short hdr_len) {
    unsigned char buf[65536 + sizeof(struct virtio_net_hdr)];
    if (len > 65536) { errno = EMSGSIZE; return -1; }
    struct virtio_net_hdr h;
    memset(&h, 0, sizeof h);
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.gso_type = gso_size ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_NONE;
    h.gso_size = gso_size;
    h.hdr_len = hdr_len;
    h.csum_start = csum_start;
    h.csum_offset = csum_offset;
    memcpy(buf, &h, sizeof h);
    memcpy(buf + sizeof h, frame, len);
    long n = send(fd, buf, sizeof h + len, 0);
    return n < 0 ? n : n - (long)sizeof h;
}

#include <errno.h>
#include <netinet/in.h>

/// An IPv4 socket (SOCK_DGRAM, SOCK_RAW or SOCK_STREAM; protocol) bound to addr:port (host
/// byte order) when either is not 0, with IP_MTU_DISCOVER set to pmtudisc when it is not -1;
/// SOCK_STREAM ones are non-blocking. -1 on failure (errno set).
static inline int tracer_inet_socket(int type, int protocol, unsigned int addr, unsigned short port, int pmtudisc) {
    int fd = socket(AF_INET, type, protocol);
    if (fd < 0) return -1;
    if (pmtudisc >= 0 && setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtudisc, sizeof pmtudisc) != 0) { int e = errno; close(fd); errno = e; return -1; }
    if (port != 0 || addr != 0) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { int e = errno; close(fd); errno = e; return -1; }
    }
    if (type == SOCK_STREAM) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/// sendto(2) to an IPv4 address (host byte order) and port: 0, or the errno.
static inline int tracer_inet_sendto(int fd, const void *buf, size_t len, unsigned int addr, unsigned short port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(addr);
    return sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof a) < 0 ? errno : 0;
}

/// An AF_INET6 socket of `type`/`protocol`, IPV6_MTU_DISCOVER set (unless negative) and bound
/// to `addr` (16 bytes, or NULL for ::) and `port` when either is given; -1 and errno on failure.
static inline int tracer_inet6_socket(int type, int protocol, const unsigned char *addr, unsigned short port, int pmtudisc) {
    int fd = socket(AF_INET6, type, protocol);
    if (fd < 0) return -1;
    if (pmtudisc >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtudisc, sizeof pmtudisc) != 0) { int e = errno; close(fd); errno = e; return -1; }
    if (port != 0 || addr != NULL) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof a);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        if (addr) memcpy(&a.sin6_addr, addr, 16);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { int e = errno; close(fd); errno = e; return -1; }
    }
    return fd;
}

/// sendto(2) to an IPv6 address (16 bytes), port and scope (interface index for link-local):
/// 0, or the errno.
static inline int tracer_inet6_sendto(int fd, const void *buf, size_t len, const unsigned char *addr, unsigned short port, unsigned int scope) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    memcpy(&a.sin6_addr, addr, 16);
    a.sin6_scope_id = scope;
    return sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof a) < 0 ? errno : 0;
}

/// connect(2) on a non-blocking socket: 0 or the errno (EINPROGRESS: the SYN is on its way).
static inline int tracer_inet_connect(int fd, unsigned int addr, unsigned short port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(addr);
    return connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ? errno : 0;
}

/// connect(2) to an IPv6 address (16 bytes) and port: 0 or the errno.
static inline int tracer_inet6_connect(int fd, const unsigned char *addr, unsigned short port) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    memcpy(&a.sin6_addr, addr, 16);
    return connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ? errno : 0;
}


/// accept(2) on a non-blocking listener: the new socket (non-blocking), or -1 (errno EAGAIN:
/// none waiting); the peer's and our IPv4 address and port (host byte order).
static inline int tracer_inet_accept(int listener, unsigned int *peer, unsigned short *peer_port, unsigned int *local, unsigned short *local_port) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = accept(listener, (struct sockaddr *)&a, &len);
    if (fd < 0) return -1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    *peer = ntohl(a.sin_addr.s_addr);
    *peer_port = ntohs(a.sin_port);
    len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) == 0) { *local = ntohl(a.sin_addr.s_addr); *local_port = ntohs(a.sin_port); }
    return fd;
}

/// setsockopt(2) of one int: 0 or the errno.
static inline int tracer_setsockopt_int(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof value) != 0 ? errno : 0;
}

/// close(2) with SO_LINGER {1, 0}: the connection is reset (tcp_send_active_reset).
static inline int tracer_close_reset(int fd) {
    struct linger l = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    return close(fd) != 0 ? errno : 0;
}

/// Everything waiting in a socket's receive queue, read without blocking: the bytes read.
static inline long tracer_read_pending(int fd) {
    char buf[65536];
    long total = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        total += n;
    }
    return total;
}

/// send(2): 0 or the errno.
static inline int tracer_send(int fd, const void *buf, size_t len) {
    return send(fd, buf, len, MSG_DONTWAIT) < 0 ? errno : 0;
}

/// shutdown(2) for writing: 0 or the errno.
static inline int tracer_shutdown_write(int fd) {
    return shutdown(fd, SHUT_WR) != 0 ? errno : 0;
}

#endif
