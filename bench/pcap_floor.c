/* The floor of `make bench`: a minimal libpcap read loop that touches every frame and does
 * nothing else. No tool that reads the file through libpcap can be faster. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) { fprintf(stderr, "usage: pcap_floor FILE\n"); return 2; }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) { fprintf(stderr, "%s\n", err); return 1; }
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned long frames = 0, sum = 0;
    while (pcap_next_ex(p, &h, &data) == 1) { frames++; sum += data[h->caplen - 1]; }
    printf("%lu frames (%lu)\n", frames, sum);
    pcap_close(p);
    return 0;
}
