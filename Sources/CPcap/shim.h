// CPcap: the only C the project has. Every symbol Swift sees carries the `tracer_pcap_` prefix,
// so a reader of the Swift side can tell at a glance where libpcap begins.
// libpcap >= 1.5 is assumed (nanosecond precision); Debian 12 ships 1.10.
#ifndef TRACER_PCAP_SHIM_H
#define TRACER_PCAP_SHIM_H

#include <pcap/pcap.h>
#include <stdint.h>
#include <string.h>

/// One frame as libpcap hands it over: the bytes stay owned by libpcap and are valid until the
/// next read on the same handle.
typedef struct {
    const uint8_t *bytes;
    uint32_t caplen;
    uint32_t wirelen;
    int64_t seconds;
    int64_t subseconds;   // nanoseconds when the handle was opened with nanosecond precision
} tracer_pcap_frame;

/// Opens a pcap or pcapng file for reading, timestamps in nanoseconds. NULL with `errbuf` filled
/// (PCAP_ERRBUF_SIZE bytes) on failure.
static inline pcap_t *tracer_pcap_open_offline(const char *path, char *errbuf) {
    return pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
}

/// 1: a frame; 0: end of file (PCAP_ERROR_BREAK); -1: error (text in tracer_pcap_error).
static inline int tracer_pcap_next(pcap_t *p, tracer_pcap_frame *out) {
    struct pcap_pkthdr *header = NULL;
    const u_char *data = NULL;
    int rc = pcap_next_ex(p, &header, &data);
    if (rc == 1) {
        out->bytes = data;
        out->caplen = header->caplen;
        out->wirelen = header->len;
        out->seconds = (int64_t)header->ts.tv_sec;
        out->subseconds = (int64_t)header->ts.tv_usec;
        return 1;
    }
    if (rc == PCAP_ERROR_BREAK) return 0;
    return -1;
}

static inline const char *tracer_pcap_error(pcap_t *p) { return pcap_geterr(p); }
static inline int tracer_pcap_datalink(pcap_t *p) { return pcap_datalink(p); }
static inline int tracer_pcap_snapshot(pcap_t *p) { return pcap_snapshot(p); }
static inline int tracer_pcap_is_swapped(pcap_t *p) { return pcap_is_swapped(p); }
static inline int tracer_pcap_major_version(pcap_t *p) { return pcap_major_version(p); }
static inline void tracer_pcap_close(pcap_t *p) { pcap_close(p); }
static inline const char *tracer_pcap_datalink_name(int dlt) { return pcap_datalink_val_to_name(dlt); }
static inline int tracer_pcap_datalink_from_name(const char *name) { return pcap_datalink_name_to_val(name); }
static inline const char *tracer_pcap_lib_version(void) { return pcap_lib_version(); }

/// A "dead" handle: no file, no device, only a link type — what pcap_compile and pcap_dump need.
static inline pcap_t *tracer_pcap_open_dead(int dlt, int snaplen) {
    return pcap_open_dead_with_tstamp_precision(dlt, snaplen, PCAP_TSTAMP_PRECISION_NANO);
}

/// Compiles a tcpdump filter expression. 0 on success; -1 with the text in tracer_pcap_error.
static inline int tracer_pcap_compile(pcap_t *p, struct bpf_program *program, const char *expression) {
    return pcap_compile(p, program, expression, 1, PCAP_NETMASK_UNKNOWN);
}

/// Non-zero when the frame passes the compiled filter.
static inline int tracer_pcap_filter_matches(const struct bpf_program *program, const uint8_t *bytes,
                                             uint32_t caplen, uint32_t wirelen) {
    struct pcap_pkthdr header;
    memset(&header, 0, sizeof header);
    header.caplen = caplen;
    header.len = wirelen;
    return pcap_offline_filter(program, &header, bytes);
}

static inline void tracer_pcap_freecode(struct bpf_program *program) { pcap_freecode(program); }

static inline pcap_dumper_t *tracer_pcap_dump_open(pcap_t *p, const char *path) {
    return pcap_dump_open(p, path);
}

static inline void tracer_pcap_dump(pcap_dumper_t *d, const uint8_t *bytes, uint32_t caplen,
                                    uint32_t wirelen, int64_t seconds, int64_t nanoseconds) {
    struct pcap_pkthdr header;
    memset(&header, 0, sizeof header);
    header.ts.tv_sec = (time_t)seconds;
    header.ts.tv_usec = (suseconds_t)nanoseconds;  // nanoseconds: the dead handle is nano-precision
    header.caplen = caplen;
    header.len = wirelen;
    pcap_dump((u_char *)d, &header, bytes);
}

static inline int tracer_pcap_dump_flush(pcap_dumper_t *d) { return pcap_dump_flush(d); }
static inline void tracer_pcap_dump_close(pcap_dumper_t *d) { pcap_dump_close(d); }

#endif
