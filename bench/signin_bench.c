/* Benchmark: complete passkey sign-ins per second over HTTP (POST /api/v1/auth/signin/options,
 * the benchmark's own software authenticator signing with ES256, POST /api/v1/auth/signin),
 * against a named peer measured in the same run: OpenSSL verifying ES256 signatures on one
 * core (the one public-key operation a sign-in cannot avoid). Each thread enrols its own
 * passkey first (an activation code from the admin API for one of the given people), so that
 * every credential's signature counter only grows.
 *
 * Usage: signin_bench URL ADMIN_TOKEN PEOPLE_FILE THREADS SECONDS
 *   PEOPLE_FILE: lines "RNOKPP BIRTH_DATE" (adults); one per thread, reused round-robin.
 * Prints "signins/s N", "p99_ms X", "peer_verify/s N" and "ratio R". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "authn_tools.h"
#include "core/buf.h"
#include "core/clock.h"

#define MAX_THREADS 64
#define RESP_MAX (256u << 10)
#define LAT_MAX 200000

struct conn {
    int fd;
    char host[64];
    int port;
    char resp[RESP_MAX];
    size_t rlen;
};

static const char *base_url, *admin_token;
static char people[MAX_THREADS][2][16];
static size_t npeople;
static volatile int stop_flag;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int dial(struct conn *c)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    int one = 1;
    inet_pton(AF_INET, c->host, &a.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return connect(c->fd, (struct sockaddr *)&a, sizeof a);
}

/* One request on the keep-alive connection; the status, the body in c->resp (NUL-ended). */
static int http(struct conn *c, const char *method, const char *path, const char *auth,
                const char *body, const char **out)
{
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: localhost:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s%s%s\r\n",
                     method, path, c->port, blen, auth ? "Authorization: Bearer " : "",
                     auth ? auth : "", auth ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof head || write(c->fd, head, (size_t)n) != n ||
        (blen && write(c->fd, body, blen) != (ssize_t)blen))
        return -1;
    c->rlen = 0;
    for (;;) {
        ssize_t r = read(c->fd, c->resp + c->rlen, sizeof c->resp - 1 - c->rlen);
        if (r <= 0)
            return -1;
        c->rlen += (size_t)r;
        c->resp[c->rlen] = '\0';
        char *end = strstr(c->resp, "\r\n\r\n");
        char *cl = strcasestr(c->resp, "\r\nContent-Length:");
        if (!end || !cl)
            continue;
        size_t want = (size_t)(end + 4 - c->resp) + strtoul(cl + 17, NULL, 10);
        if (c->rlen >= want) {
            *out = end + 4;
            return (int)strtol(c->resp + 9, NULL, 10); /* "HTTP/1.1 NNN" */
        }
    }
}

/* Enrols a passkey for person i into sa. */
static int enrol(struct conn *c, struct ps_softauthn *sa, size_t i, const char *origin)
{
    const char *body;
    char path[128], req[256];
    snprintf(path, sizeof path, "/api/v1/registry/persons/%s/activation-codes", people[i][0]);
    if (http(c, "POST", path, admin_token, NULL, &body) != 201)
        return -1;
    json_t *j = json_loads(body, 0, NULL);
    snprintf(req, sizeof req, "{\"rnokpp\":\"%s\",\"birth_date\":\"%s\",\"activation_code\":\"%s\"}",
             people[i][0], people[i][1], json_string_value(json_object_get(j, "code")));
    json_decref(j);
    if (http(c, "POST", "/api/v1/auth/enrol/options", NULL, req, &body) != 200)
        return -1;
    j = json_loads(body, 0, NULL);
    struct ps_buf out;
    struct ps_diag d = {0};
    ps_buf_init(&out, RESP_MAX);
    int rc = ps_softauthn_create(sa, j, ps_str_from_cstr(origin), false, &out, &d) == PS_OK &&
                     http(c, "POST", "/api/v1/auth/enrol", NULL, out.p, &body) == 201
                 ? 0
                 : -1;
    json_decref(j);
    ps_buf_reset(&out);
    return rc;
}

struct worker {
    pthread_t t;
    size_t id;
    char origin[128];
    struct conn c;
    long done, failed;
    int64_t *lat;
    size_t nlat;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct ps_softauthn sa;
    if (ps_softauthn_init(&sa, -7) != PS_OK || dial(&w->c) != 0 ||
        enrol(&w->c, &sa, w->id % npeople, w->origin) != 0) {
        fprintf(stderr, "signin_bench: thread %zu could not enrol: %.200s\n", w->id, w->c.resp);
        w->failed++;
        return NULL;
    }
    struct ps_buf out;
    ps_buf_init(&out, RESP_MAX);
    while (!stop_flag) {
        const char *body;
        struct ps_diag d = {0};
        int64_t t0 = now_ns();
        if (http(&w->c, "POST", "/api/v1/auth/signin/options", NULL, "{}", &body) != 200) {
            w->failed++;
            break;
        }
        json_t *j = json_loads(body, 0, NULL);
        out.len = 0;
        bool ok = ps_softauthn_get(&sa, j, ps_str_from_cstr(w->origin), &out, &d) == PS_OK &&
                  http(&w->c, "POST", "/api/v1/auth/signin", NULL, out.p, &body) == 200;
        json_decref(j);
        if (!ok) {
            w->failed++;
            continue;
        }
        w->done++;
        if (w->nlat < LAT_MAX)
            w->lat[w->nlat++] = now_ns() - t0;
    }
    ps_buf_reset(&out);
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The peer: ES256 verifications per second on one core with OpenSSL (2 s). */
static double peer_verify_rate(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    unsigned char msg[64] = {1}, sig[128];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key);
    EVP_DigestSign(m, sig, &siglen, msg, sizeof msg);
    long n = 0;
    int64_t t0 = now_ns();
    while (now_ns() - t0 < 2000000000LL) {
        EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, key);
        n += EVP_DigestVerify(m, sig, siglen, msg, sizeof msg) == 1;
    }
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(key);
    return (double)n / ((double)(now_ns() - t0) / 1e9);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: signin_bench URL ADMIN_TOKEN PEOPLE_FILE THREADS SECONDS\n");
        return 2;
    }
    base_url = argv[1];
    admin_token = argv[2];
    FILE *f = fopen(argv[3], "r");
    while (f && npeople < MAX_THREADS &&
           fscanf(f, "%15s %15s", people[npeople][0], people[npeople][1]) == 2)
        npeople++;
    if (f)
        fclose(f);
    size_t threads = strtoul(argv[4], NULL, 10);
    long seconds = strtol(argv[5], NULL, 10);
    if (npeople == 0 || threads == 0 || threads > MAX_THREADS || seconds <= 0 || seconds > 3600) {
        fprintf(stderr, "signin_bench: bad arguments\n");
        return 2;
    }
    static struct worker w[MAX_THREADS];
    const char *colon = strrchr(base_url, ':');
    long port = colon ? strtol(colon + 1, NULL, 10) : 0;
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "signin_bench: no port in %s\n", base_url);
        return 2;
    }
    for (size_t i = 0; i < threads; i++) {
        w[i].id = i;
        w[i].c.port = (int)port;
        snprintf(w[i].c.host, sizeof w[i].c.host, "127.0.0.1");
        snprintf(w[i].origin, sizeof w[i].origin, "http://localhost:%ld", port);
        w[i].lat = calloc(LAT_MAX, sizeof *w[i].lat);
        pthread_create(&w[i].t, NULL, work, &w[i]);
    }
    sleep(2); /* enrolments */
    long before = 0, done = 0, failed = 0;
    for (size_t i = 0; i < threads; i++)
        before += w[i].done;
    int64_t t0 = now_ns();
    sleep((unsigned)seconds);
    for (size_t i = 0; i < threads; i++)
        done += w[i].done;
    double secs = (double)(now_ns() - t0) / 1e9;
    stop_flag = 1;
    size_t nl = 0;
    for (size_t i = 0; i < threads; i++) {
        pthread_join(w[i].t, NULL);
        failed += w[i].failed;
        nl += w[i].nlat;
    }
    int64_t *all = calloc(nl ? nl : 1, sizeof *all);
    for (size_t i = 0, k = 0; i < threads; k += w[i].nlat, i++)
        memcpy(all + k, w[i].lat, w[i].nlat * sizeof *all);
    qsort(all, nl, sizeof *all, cmp64);
    double rate = (double)(done - before) / secs, peer = peer_verify_rate();
    printf("signins/s %.0f\np99_ms %.2f\nfailed %ld\npeer_verify/s %.0f\nratio %.3f\n", rate,
           nl ? (double)all[nl * 99 / 100] / 1e6 : 0.0, failed, peer, rate / peer);
    return failed > 0 ? 1 : 0;
}
