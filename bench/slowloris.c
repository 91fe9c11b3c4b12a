/* Load program for bench/slowloris.sh: holds SLOW connections that trickle their request
 * heads (one header byte every INTERVAL ms, from ADDRS source addresses 127.0.0.100 ...), each
 * reopened REOPEN ms after the server answers or closes it, while a probe thread opens a fresh
 * connection for GET /healthz every PROBE ms and times it (connect to the end of the
 * response). Runs for SECONDS after a ramp-up and prints one line:
 *   RESULT slowloris slow=N held_min=N held_avg=N probes=N ok=N failed=N p50_ms=X p99_ms=X
 *          max_ms=X cut=N
 * (held: slow connections open, sampled every 100 ms; cut: slow connections the server
 * answered or closed). Not a test: it reports, it never judges.
 * Usage: slowloris PORT SLOW ADDRS INTERVAL_MS REOPEN_MS PROBE_MS SECONDS */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/str.h"

#define MAX_PROBES 200000

static uint16_t port;
static volatile int stop_probe;
static double *lat_ms;
static int nprobes, nok, nfailed;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A blocking connect (loopback: at once), then non-blocking when asked. */
static int dial(const char *src, bool nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (src) {
        struct sockaddr_in b = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, src, &b.sin_addr) != 1 ||
            bind(fd, (struct sockaddr *)&b, sizeof b) != 0) {
            close(fd);
            return -1;
        }
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        (nonblock && fcntl(fd, F_SETFL, O_NONBLOCK) != 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One fresh-client request: true when a 200 came back within 10 s. */
static bool probe_once(void)
{
    int fd = dial(NULL, false);
    if (fd < 0)
        return false;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
    bool ok = send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1);
    char buf[1024];
    size_t got = 0;
    while (ok && got < sizeof buf - 1) {
        ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    return ok && got >= 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0;
}

static void *probe_main(void *arg)
{
    double every = *(double *)arg;
    while (!stop_probe && nprobes < MAX_PROBES) {
        double t0 = now_ms();
        bool ok = probe_once();
        double t1 = now_ms();
        if (ok)
            lat_ms[nok++] = t1 - t0;
        else
            nfailed++;
        nprobes++;
        double rest = every - (t1 - t0);
        if (rest > 0) {
            struct timespec ts = {(time_t)(rest / 1e3), (long)(rest * 1e6) % 1000000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

struct slow {
    int fd;
    double next_ms; /* next byte, or the reopen time when fd < 0 */
    unsigned sent;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool arg_u64(const char *s, uint64_t *out)
{
    return ps_str_to_u64(ps_str_from_cstr(s), out) == PS_OK;
}

static void slow_open(struct slow *c, const char *src, double now)
{
    static const char line[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\n";
    c->fd = dial(src, true);
    c->sent = 0;
    c->next_ms = now + 50;
    if (c->fd >= 0 && send(c->fd, line, sizeof line - 1, MSG_NOSIGNAL) != sizeof line - 1) {
        close(c->fd);
        c->fd = -1;
    }
}

/* A slow connection's turn: read what the server said (an answer or a close ends it), then
 * send one more header byte. */
static bool slow_step(struct slow *c, double interval)
{
    char buf[512];
    ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || r > 0)
        return false;
    static const char bytes[] = "X-Slow-Header: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    char ch = bytes[c->sent % (sizeof bytes - 1)];
    c->sent++;
    c->next_ms += interval;
    return send(c->fd, &ch, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 || errno == EAGAIN;
}

/* Every slow connection whose turn it is: (re)opened, or one byte further. Returns how many
 * are open; *cut counts those the server answered or closed. */
static long slow_tick(struct slow *slow, size_t nslow, char (*src)[16], size_t naddrs,
                      double now, double interval, double reopen, long *cut)
{
    long held = 0;
    for (size_t i = 0; i < nslow; i++) {
        struct slow *c = &slow[i];
        if (c->fd < 0 && now >= c->next_ms) {
            slow_open(c, src[i % naddrs], now);
        } else if (c->fd >= 0 && now >= c->next_ms && !slow_step(c, interval)) {
            close(c->fd);
            c->fd = -1;
            c->next_ms = now + reopen;
            (*cut)++;
        }
        held += c->fd >= 0;
    }
    return held;
}

int main(int argc, char **argv)
{
    uint64_t a[7];
    for (int i = 1; i < 8; i++)
        if (argc != 8 || !arg_u64(argv[i], &a[i - 1])) {
            fprintf(stderr, "usage: slowloris PORT SLOW ADDRS INTERVAL_MS REOPEN_MS PROBE_MS "
                            "SECONDS\n");
            return 2;
        }
    port = (uint16_t)a[0];
    size_t nslow = (size_t)a[1], naddrs = a[2] ? (size_t)a[2] : 1;
    double interval = (double)a[3], reopen = (double)a[4], every = (double)a[5];
    double seconds = (double)a[6];
    lat_ms = calloc(MAX_PROBES, sizeof *lat_ms);
    struct slow *slow = calloc(nslow ? nslow : 1, sizeof *slow);
    char (*src)[16] = calloc(naddrs, sizeof *src);
    if (!lat_ms || !slow || !src)
        return 1;
    for (size_t i = 0; i < naddrs; i++)
        if (snprintf(src[i], sizeof src[i], "127.0.0.%zu", 100 + i % 150) >= (int)sizeof src[i])
            return 1;
    double t = now_ms(), ramp_end = t + (nslow ? 3000 : 0), end = ramp_end + seconds * 1e3;
    for (size_t i = 0; i < nslow; i++) { /* ramp up over 3 s */
        slow[i].fd = -1;
        slow[i].next_ms = t + 3000.0 * (double)i / (double)nslow;
    }
    pthread_t th;
    bool probing = false;
    long cut = 0, held_sum = 0, held_min = -1, samples = 0;
    double next_sample = ramp_end;
    for (;;) {
        double now = now_ms();
        if (!probing && now >= ramp_end) {
            if (pthread_create(&th, NULL, probe_main, &every) != 0)
                return 1;
            probing = true;
            cut = 0;
        }
        if (now >= end)
            break;
        long held = slow_tick(slow, nslow, src, naddrs, now, interval, reopen, &cut);
        if (probing && now >= next_sample) {
            held_sum += held;
            samples++;
            if (held_min < 0 || held < held_min)
                held_min = held;
            next_sample += 100;
        }
        poll(NULL, 0, 5);
    }
    stop_probe = 1;
    if (probing)
        pthread_join(th, NULL);
    qsort(lat_ms, (size_t)nok, sizeof *lat_ms, cmp_double);
    double p50 = nok ? lat_ms[nok / 2] : 0, p99 = nok ? lat_ms[(size_t)((nok - 1) * 0.99)] : 0;
    printf("RESULT slowloris slow=%zu held_min=%ld held_avg=%ld probes=%d ok=%d failed=%d "
           "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f cut=%ld\n",
           nslow, held_min < 0 ? 0 : held_min, samples ? held_sum / samples : 0, nprobes, nok,
           nfailed, p50, p99, nok ? lat_ms[nok - 1] : 0, cut);
    for (size_t i = 0; i < nslow; i++)
        if (slow[i].fd >= 0)
            close(slow[i].fd);
    free(src);
    free(slow);
    free(lat_ms);
    return 0;
}
