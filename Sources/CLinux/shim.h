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

#endif
