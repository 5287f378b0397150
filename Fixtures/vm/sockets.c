/* sockets: the listening sockets a snapshot's `ss` shows, for a guest with no other programs:
 * `sockets udp:5353 tcp:10.1.0.2:80 tcp:[2001:db8::2]:80 udp:*:53 udp:10.1.0.2:5000>10.1.0.1:6000`
 * binds each (to the address, else INADDR_ANY; `*` is a dual-stack IPv6 socket on any address;
 * after `>`, the peer a UDP socket is connect(2)ed to), listens on the TCP ones, reads every
 * UDP datagram as it comes (the prompt reader tracer's model assumes), and accepts connections
 * but neither reads nor closes them (an application that has not got to them yet: their data
 * stays queued, as the model has it), until killed. A UDP spec may end in ,rcvbuf=N (its
 * sk_rcvbuf) and ,noread (never read: ss showed data waiting on it, the model's reader policy).
 * `send:SRC:SPORT:DST:DPORT:LEN[:HEX]` (gdb-bt.sh's and tx-check.sh's sender; IPv6 addresses in brackets, a link-local one's
 * interface after %) is a UDP socket bound to SRC:SPORT that sendto()s LEN bytes (zeros, or the
 * payload HEX spells) to DST:DPORT. Several send: and sendraw: arguments are a program's sends in
 * order (one socket for each source they name, as a program that sends from one socket): each is
 * sent once at the start, in order (which leaves the next hops' neighbour entries with their
 * cached headers and the flows' conntrack entries, as on a host that has talked before; not with
 * the argument `nopresend`), and then the k-th time a UDP listener reads the harness's cue (a
 * datagram whose payload starts "cue!"), the k-th send goes again (after the last, the first again). Other datagrams a listener reads
 * (a query to a server), and the senders' sockets' (a client's answers), send nothing.
 * `sendraw:PROTO:SPEC` is the same from a raw socket of that protocol (ping's IPPROTO_ICMP or
 * IPPROTO_ICMPV6 socket, with the message as the payload; IPPROTO_RAW with the whole packet).
 * `connect:SRC:SPORT:DST:DPORT` instead makes an unbound TCP socket connect(2) to DST:DPORT from
 * port SPORT (non-blocking, left open) each time the cue comes, and not at the start.
 * `join:GROUP@IFNAME` holds a multicast membership (IPv4 or IPv6) on the interface, as the
 * snapshot's `ip maddr` shows one.
 * Built static by make-initramfs.sh (busybox's nc has no UDP listen). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A program's sends (send:, sendraw:), in the order given: each one's socket, its destination
 * and its payload. */
struct send {
    int fd, len, proto;
    struct sockaddr_storage from, to;
    char *payload;
};
static struct send sends[64];
static int nsends, next_send, nopresend;
static struct sockaddr_storage send_to;   /* connect:'s destination */

/* ADDR:PORT at *spec (ADDR in brackets when IPv6) into `a`; advances *spec past it and a ':'. */
static int parse_endpoint(char **spec, struct sockaddr_storage *a) {
    char addr[64], *s = *spec, *end;
    int port, used = 0;
    if (*s == '[') {
        if (!(end = strchr(s, ']')) || end - s - 1 >= (int)sizeof addr || end[1] != ':') return -1;
        memcpy(addr, s + 1, end - s - 1); addr[end - s - 1] = 0; s = end + 2;
    } else {
        if (!(end = strchr(s, ':')) || end - s >= (int)sizeof addr) return -1;
        memcpy(addr, s, end - s); addr[end - s] = 0; s = end + 1;
    }
    if (sscanf(s, "%d%n", &port, &used) != 1) return -1;
    s += used;
    if (*s == ':') s++;
    *spec = s;
    memset(a, 0, sizeof *a);
    struct sockaddr_in *a4 = (struct sockaddr_in *)a;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)a;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) { a4->sin_family = AF_INET; a4->sin_port = htons(port); return 0; }
    char *scope = strchr(addr, '%');   /* fe80::1%eth0: a link-local address's interface */
    if (scope) *scope++ = 0;
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6; a6->sin6_port = htons(port);
        if (scope && !(a6->sin6_scope_id = if_nametoindex(scope))) return -1;
        return 0;
    }
    return -1;
}

static socklen_t sockaddr_len(const struct sockaddr_storage *a) {
    return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* SRC:SPORT:DST:DPORT:LEN[:HEX], IPv6 addresses in brackets; `proto` 0: a UDP socket, else a
 * raw one of that protocol (ports 0; IPPROTO_RAW, 255: the payload is the whole IPv4 packet, as
 * IP_HDRINCL, which the kernel sets for it). A send from the source (and protocol) of an earlier
 * one goes from that one's socket. */
static int parse_send(char *spec, int proto) {
    struct send *s = &sends[nsends];
    int used = 0;
    if (nsends == 64 || parse_endpoint(&spec, &s->from) < 0 || parse_endpoint(&spec, &s->to) < 0 || s->from.ss_family != s->to.ss_family) return -1;
    if (sscanf(spec, "%d%n", &s->len, &used) != 1 || s->len < 0 || s->len > 65507 || !(s->payload = calloc(1, s->len + 1))) return -1;
    if (spec[used] == ':') {
        const char *hex = spec + used + 1;
        for (int k = 0; k < s->len && hex[2 * k] && hex[2 * k + 1]; k++) {
            unsigned v;
            if (sscanf(hex + 2 * k, "%2x", &v) != 1) return -1;
            s->payload[k] = (char)v;
        }
    }
    s->proto = proto;
    s->fd = -1;
    for (int k = 0; k < nsends; k++)
        if (sends[k].proto == proto && sockaddr_len(&sends[k].from) == sockaddr_len(&s->from)
            && memcmp(&sends[k].from, &s->from, sockaddr_len(&s->from)) == 0) s->fd = sends[k].fd;
    if (s->fd < 0) {
        s->fd = proto ? socket(s->from.ss_family, SOCK_RAW, proto) : socket(s->from.ss_family, SOCK_DGRAM, 0);
        int one = 1;   /* a server answers from the port a listener of the snapshot's holds too */
        if (s->fd >= 0) setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&s->from, sockaddr_len(&s->from)) < 0) return -1;
    }
    nsends++;
    return 0;
}

static void send_at(int k) {
    struct send *s = &sends[k];
    if (sendto(s->fd, s->payload, s->len, 0, (struct sockaddr *)&s->to, sockaddr_len(&s->to)) < 0) perror("sendto");
}

/* connect:SRC:SPORT:DST:DPORT: an unbound TCP socket connect(2)ed (non-blocking) to DST:DPORT at
 * the cue only (no send before it: its SYN is the frame), left open; the ephemeral port range
 * narrowed to SPORT for the call, as `tracer verify`'s sender does (an application's socket:
 * connect picks the address and the port). */
static int connecting;
static struct sockaddr_storage connect_from;

static void port_range(const char *range) {
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");
    if (f) { fputs(range, f); fclose(f); }
}

static void send_one(void) {
    if (connecting) {
        int fd = socket(send_to.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) { perror("connect: socket"); return; }
        char saved[64] = "32768 60999\n", narrowed[32];
        FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
        if (f) { if (!fgets(saved, sizeof saved, f)) strcpy(saved, "32768 60999\n"); fclose(f); }
        unsigned port = ntohs(connect_from.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&connect_from)->sin6_port
                                                                 : ((struct sockaddr_in *)&connect_from)->sin_port);
        snprintf(narrowed, sizeof narrowed, "%u %u\n", port, port);
        port_range(narrowed);
        if (connect(fd, (struct sockaddr *)&send_to, sockaddr_len(&send_to)) < 0 && errno != EINPROGRESS) perror("connect");
        port_range(saved);
        return;   /* kept open: the handshake goes on in the kernel */
    }
    if (nsends) { send_at(next_send); next_send = (next_send + 1) % nsends; }
}

int main(int argc, char **argv) {
    struct pollfd fds[64];
    int udp[64], n = 0;
    for (int i = 1; i < argc && n < 64; i++) {
        if (strncmp(argv[i], "join:", 5) == 0) {   /* join:GROUP:IFNAME, IPv4 or IPv6 */
            char group[64], ifname[32];
            if (sscanf(argv[i] + 5, "%63[^@]@%31s", group, ifname) != 2) { fprintf(stderr, "sockets: %s: join:GROUP@IFNAME\n", argv[i]); return 2; }
            unsigned ifindex = if_nametoindex(ifname);
            int v6 = strchr(group, ':') != NULL, fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0), r = -1;
            if (v6) {
                struct ipv6_mreq m = { .ipv6mr_interface = ifindex };
                if (inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr) == 1) r = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m);
            } else {
                struct ip_mreqn m = { .imr_ifindex = ifindex };
                if (inet_pton(AF_INET, group, &m.imr_multiaddr) == 1) r = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
            }
            if (fd < 0 || ifindex == 0 || r < 0) { perror(argv[i]); return 1; }
            continue;   /* kept open, never read: it holds the membership */
        }
        if (strcmp(argv[i], "nopresend") == 0) { nopresend = 1; continue; }   /* no send before the first cue */
        if (strncmp(argv[i], "sendraw:", 8) == 0) {   /* sendraw:PROTO:SPEC */
            char *spec;
            int proto = (int)strtol(argv[i] + 8, &spec, 10);
            if (*spec != ':' || proto <= 0 || proto > 255 || parse_send(spec + 1, proto) < 0) {
                fprintf(stderr, "sockets: %s: sendraw:PROTO:SRC:0:DST:0:LEN[:HEX]\n", argv[i]); perror("sendraw"); return 2;
            }
            continue;
        }
        if (strncmp(argv[i], "connect:", 8) == 0) {   /* connect:SRC:SPORT:DST:DPORT */
            char *spec = argv[i] + 8;
            if (parse_endpoint(&spec, &connect_from) < 0 || parse_endpoint(&spec, &send_to) < 0 || connect_from.ss_family != send_to.ss_family) {
                fprintf(stderr, "sockets: %s: connect:SRC:SPORT:DST:DPORT ([ADDR] for IPv6)\n", argv[i]); return 2;
            }
            connecting = 1;
            continue;
        }
        if (strncmp(argv[i], "send:", 5) == 0) {
            if (parse_send(argv[i] + 5, 0) < 0) { fprintf(stderr, "sockets: %s: send:SRC:SPORT:DST:DPORT:LEN[:HEX] ([ADDR] for IPv6)\n", argv[i]); return 2; }
            continue;
        }
        int is_udp = strncmp(argv[i], "udp:", 4) == 0, is_tcp = strncmp(argv[i], "tcp:", 4) == 0;
        if (!is_udp && !is_tcp) { fprintf(stderr, "sockets: %s: udp:PORT or tcp:PORT\n", argv[i]); return 2; }
        /* ss's forms: ADDR:PORT (IPv4), [ADDR]:PORT (IPv6 only), *:PORT (IPv6, any address, and
         * IPv4 through it: a dual-stack socket), PORT (IPv4, any address). */
        /* ,rcvbuf=N: the socket's sk_rcvbuf (ss -m's rb; SO_RCVBUFFORCE with half of it, which
         * the kernel doubles); ,noread: its application does not read it (ss showed data
         * waiting), so datagrams stay queued until the buffer is full. */
        int rcvbuf = 0, noread = 0;
        char *opt = strchr(argv[i], ',');
        if (opt) *opt++ = 0;
        while (opt) {
            char *next = strchr(opt, ',');
            if (next) *next++ = 0;
            if (strcmp(opt, "noread") == 0) noread = 1;
            else if (sscanf(opt, "rcvbuf=%d", &rcvbuf) != 1) { fprintf(stderr, "sockets: %s: ,noread or ,rcvbuf=N\n", opt); return 2; }
            opt = next;
        }
        /* udp:ADDR:PORT>PEER:PEERPORT: connect(2)ed to the peer, as ss's ESTAB line. */
        char *peer = strchr(argv[i], '>');
        struct sockaddr_storage to;
        if (peer) {
            *peer++ = 0;
            if (!is_udp || parse_endpoint(&peer, &to) < 0) { fprintf(stderr, "sockets: %s: udp:ADDR:PORT>PEER:PORT\n", argv[i]); return 2; }
        }
        char *rest = argv[i] + 4, *colon = strrchr(rest, ':');
        struct sockaddr_in a = { .sin_family = AF_INET };
        struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
        int v6 = 0, v6only = 0;
        if (colon) {
            *colon = 0;
            if (strcmp(rest, "*") == 0) v6 = 1;
            else if (rest[0] == '[') {
                v6 = v6only = 1;
                rest[strlen(rest) - 1] = 0;
                if (inet_pton(AF_INET6, rest + 1, &a6.sin6_addr) != 1) { fprintf(stderr, "sockets: %s: bad address\n", rest); return 2; }
            } else if (inet_pton(AF_INET, rest, &a.sin_addr) != 1) { fprintf(stderr, "sockets: %s: bad address\n", rest); return 2; }
            rest = colon + 1;
        }
        a.sin_port = a6.sin6_port = htons(atoi(rest));
        int fd = socket(v6 ? AF_INET6 : AF_INET, is_udp ? SOCK_DGRAM : SOCK_STREAM, 0), one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        int bound = v6 ? bind(fd, (struct sockaddr *)&a6, sizeof a6) : bind(fd, (struct sockaddr *)&a, sizeof a);
        if (fd < 0 || bound < 0 || (is_tcp && listen(fd, 128) < 0)) { perror(argv[i]); return 1; }
        if (peer && connect(fd, (struct sockaddr *)&to, sockaddr_len(&to)) < 0) { perror(argv[i]); return 1; }
        if (rcvbuf > 0) {
            int half = rcvbuf / 2;
            if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &half, sizeof half) < 0) perror("SO_RCVBUFFORCE");
        }
        if (noread) continue;   /* held open, never polled */
        fds[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
        udp[n++] = is_udp;
    }
    /* The sender's sockets are read too, as a client reads its answers (a reply to a query, a
     * ping's echo reply; what tracer verify's sender does): a read there sends nothing. */
    for (int k = 0; k < nsends && n < 64; k++) {
        int seen = 0;
        for (int j = 0; j < k; j++) seen |= sends[j].fd == sends[k].fd;
        if (!seen) { fds[n] = (struct pollfd){ .fd = sends[k].fd, .events = POLLIN }; udp[n++] = 2; }
    }
    printf("sockets: %d bound\n", n);
    fflush(stdout);
    if (!connecting && !nopresend) for (int k = 0; k < nsends; k++) send_at(k);
    else {
        /* A connect to a closed port on loopback first: the boot's first connect fills the port
         * allocator's table_perturb with 256 KiB of random bytes (net_get_random_once, thousands
         * of chacha blocks), which would take the measured connect's function trace past its
         * SYN's retransmission timer before it is saved. Nothing of it reaches the taps. */
        struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0) { connect(fd, (struct sockaddr *)&lo, sizeof lo); close(fd); }
    }
    char buf[65536];
    for (;;) {
        if (poll(fds, n, -1) < 0) return 1;
        for (int i = 0; i < n; i++) {
            if (!(fds[i].revents & POLLIN)) continue;
            if (udp[i]) {
                /* a datagram: the harness's cue ("cue!…") makes the next send, another (a query
                 * to a server, an answer to the sender) is only read. (A sender bound to the
                 * listener's port and address takes the cue itself.) */
                ssize_t got = recv(fds[i].fd, buf, sizeof buf, 0);
                if (got >= 4 && memcmp(buf, "cue!", 4) == 0) send_one();
            }
            else accept(fds[i].fd, NULL, NULL);   /* kept open, never read */
        }
    }
}
