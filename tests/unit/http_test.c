/* The HTTP server over real loopback sockets: every status the server produces itself (400,
 * 404, 405, 408, 413, 429, 431, 500, 503), problem+json shape, request ids, keep-alive,
 * suspend/resume from another thread, the whole-request deadline (trickled headers and
 * bodies, garbage request lines, the sweep racing the connection's thread), ambiguous body
 * framing, body memory, metrics, and stop with a suspended request. Timeouts are configured
 * short; nothing asserts on elapsed time. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "http/http.h"
#include "http/http_int.h"

/* ---------- test application ---------- */

static struct ps_http_server *server;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_waiting;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void h_hello(struct ps_req *req)
{
    ps_resp_json(req, 200, PS_STR("{\"hello\":\"world\"}"));
}

static void h_item(struct ps_req *req)
{
    struct ps_str id = ps_req_param(req, "id");
    ps_resp_bytes(req, 200, "text/plain", id);
    ps_resp_header(req, "X-Test", "item");
}

static void h_echo(struct ps_req *req)
{
    if (!ps_req_content_type_is(req, "application/json")) {
        ps_resp_problem(req, 415, "unsupported-media-type", "Unsupported Media Type",
                        "send application/json");
        return;
    }
    ps_resp_json(req, 200, req->body);
}

static int count_runs; /* atomic: how often h_count ran */

static void h_count(struct ps_req *req)
{
    __atomic_add_fetch(&count_runs, 1, __ATOMIC_SEQ_CST);
    ps_resp_bytes(req, 200, "text/plain", PS_STR("counted"));
}

static void h_len(struct ps_req *req)
{
    char *t = ps_arena_printf(req->arena, "%zu", req->body.len);
    ps_resp_bytes(req, 200, "text/plain", ps_str_from_cstr(t));
}

static void h_noresp(struct ps_req *req)
{
    (void)req;
}

static void then_resumed(struct ps_req *req)
{
    ps_resp_bytes(req, 200, "text/plain", PS_STR("resumed"));
}

static void *resume_later(void *arg)
{
    sleep_ms(100);
    ps_req_resume(arg);
    return NULL;
}

/* Suspends req; `resumer` (on a thread of its own) resumes it. */
static void suspend_with(struct ps_req *req, void *(*resumer)(void *))
{
    ps_req_suspend(req, then_resumed);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, resumer, req), 0);
    pthread_detach(t);
}

static void h_suspend(struct ps_req *req)
{
    suspend_with(req, resume_later);
}

/* resumes before the handler returns: the race the server must absorb */
static void h_sync_suspend(struct ps_req *req)
{
    ps_req_suspend(req, then_resumed);
    ps_req_resume(req);
}

static void *resume_at_gate(void *arg)
{
    pthread_mutex_lock(&gate_lock);
    gate_waiting++;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    ps_req_resume(arg);
    return NULL;
}

static void *resume_slowly(void *arg)
{
    sleep_ms(1500); /* longer than the 1 s request timeout of the deadline tests */
    ps_req_resume(arg);
    return NULL;
}

static void h_slow(struct ps_req *req)
{
    suspend_with(req, resume_slowly);
}

static void h_gate(struct ps_req *req)
{
    suspend_with(req, resume_at_gate);
}

/* /gate-withdrawable: the same, but says at shutdown whether its work could be withdrawn
 * (withdraw_answer) and counts the calls. */
static int withdraw_answer, withdraw_calls;

static bool gate_withdraw(struct ps_req *req, void *ctx)
{
    cr_assert_eq(ctx, (void *)&withdraw_answer);
    __atomic_add_fetch(&withdraw_calls, 1, __ATOMIC_SEQ_CST);
    return withdraw_answer != 0;
}

static void h_gate_withdrawable(struct ps_req *req)
{
    suspend_with(req, resume_at_gate);
    ps_req_on_abandon(req, gate_withdraw, &withdraw_answer);
}

static void h_metrics(struct ps_req *req)
{
    struct ps_buf b;
    ps_buf_init(&b, 1 << 20);
    cr_assert_eq(ps_http_metrics(server, &b), PS_OK);
    ps_resp_bytes(req, 200, "text/plain; version=0.0.4", ps_buf_str(&b));
    ps_buf_reset(&b);
}

static const struct ps_route routes[] = {
    {"GET", "/hello", NULL, 0, h_hello, 0},
    {"GET", "/items/{id}", NULL, 0, h_item, 0},
    {"POST", "/echo", NULL, 0, h_echo, 64},
    {"GET", "/noresp", NULL, 0, h_noresp, 0},
    {"GET", "/suspend", NULL, 0, h_suspend, 0},
    {"GET", "/sync-suspend", NULL, 0, h_sync_suspend, 0},
    {"GET", "/gate", NULL, 0, h_gate, 0},
    {"GET", "/gate-withdrawable", NULL, 0, h_gate_withdrawable, 0},
    {"GET", "/slow", NULL, 0, h_slow, 0},
    {"GET", "/metrics", NULL, 0, h_metrics, 0},
    {"GET", "/count", NULL, 0, h_count, 0},
    {"POST", "/big", NULL, 0, h_len, 3u << 20}, /* within the default 4 MiB arena */
};

static void start_with(const struct ps_http_limits *lim)
{
    struct ps_http_config cfg = {
        .listen_addr = "127.0.0.1",
        .port = 0,
        .limits = *lim,
        .routes = routes,
        .nroutes = sizeof routes / sizeof routes[0],
        .log_requests = true,
    };
    struct ps_diag d;
    cr_assert_eq(ps_http_start(&cfg, &server, &d), PS_OK, "%s", d.message);
    cr_assert_neq(ps_http_port(server), 0);
}

static void start_default(void)
{
    struct ps_http_limits lim;
    ps_http_limits_init(&lim);
    lim.threads = 2;
    start_with(&lim);
}

static void stop(void)
{
    ps_http_stop(server);
    server = NULL;
}

/* ---------- raw-socket client ---------- */

struct resp {
    int status;
    char head[16384];
    char body[65536];
    size_t body_len;
};

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct timeval tv = {5, 0}; /* a broken server fails the test instead of hanging it */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(ps_http_port(server))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "%s", strerror(errno));
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may close early (413, 431): that is what some tests check */
        p += w;
        n -= (size_t)w;
    }
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

/* Reads one response; status 0 when the connection closed (or timed out) before one. */
static void read_resp(int fd, struct resp *r)
{
    memset(r, 0, sizeof *r);
    size_t n = 0;
    char *end = NULL;
    while (!end) {
        if (n >= sizeof r->head - 1)
            return;
        ssize_t k = recv(fd, r->head + n, 1, 0); /* byte by byte: never eat the next one */
        if (k <= 0)
            return;
        n++;
        r->head[n] = '\0';
        end = n >= 4 ? strstr(r->head, "\r\n\r\n") : NULL;
    }
    int st = 0;
    if (strncmp(r->head, "HTTP/1.1 ", 9) == 0 || strncmp(r->head, "HTTP/1.0 ", 9) == 0)
        for (int i = 9; i < 12; i++)
            st = st * 10 + (r->head[i] - '0');
    size_t len = 0;
    const char *cl = strcasestr(r->head, "\r\nContent-Length:");
    if (cl)
        for (cl += 17; *cl == ' '; cl++)
            ;
    for (; cl && *cl >= '0' && *cl <= '9'; cl++)
        len = len * 10 + (size_t)(*cl - '0');
    cr_assert_lt(len, sizeof r->body);
    while (r->body_len < len) {
        ssize_t k = recv(fd, r->body + r->body_len, len - r->body_len, 0);
        if (k <= 0)
            return;
        r->body_len += (size_t)k;
    }
    r->status = st;
}

/* Value of a response header (case-insensitive name) copied into out; false if absent. */
static bool header(const struct resp *r, const char *name, char *out, size_t cap)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\r\n%s:", name);
    const char *p = strcasestr(r->head, pat);
    if (!p)
        return false;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != '\r' && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static bool closed_by_server(int fd)
{
    char c;
    ssize_t k = recv(fd, &c, 1, 0);
    return k == 0 || (k < 0 && errno == ECONNRESET);
}

static void roundtrip(const char *raw, struct resp *r)
{
    int fd = dial();
    send_str(fd, raw);
    read_resp(fd, r);
    close(fd);
}

static json_t *problem(const struct resp *r, int status, const char *slug)
{
    char ct[128];
    cr_assert_eq(r->status, status, "got %d:\n%s", r->status, r->head);
    cr_assert(header(r, "Content-Type", ct, sizeof ct));
    cr_assert_str_eq(ct, "application/problem+json");
    json_error_t err;
    json_t *j = json_loadb(r->body, r->body_len, 0, &err);
    cr_assert_not_null(j, "%s: %.*s", err.text, (int)r->body_len, r->body);
    char type[256];
    snprintf(type, sizeof type, "%s%s", PS_PROBLEM_BASE, slug);
    cr_assert_str_eq(json_string_value(json_object_get(j, "type")), type);
    cr_assert_eq(json_integer_value(json_object_get(j, "status")), status);
    cr_assert(json_is_string(json_object_get(j, "title")));
    char rid[128];
    cr_assert(header(r, "X-Request-Id", rid, sizeof rid));
    cr_assert_str_eq(json_string_value(json_object_get(j, "requestId")), rid);
    return j;
}

/* ---------- tests ---------- */

TestSuite(http, .init = start_default, .fini = stop, .timeout = 60);

Test(http, keep_alive_several_requests)
{
    int fd = dial();
    struct resp r;
    for (int i = 0; i < 3; i++) {
        send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        read_resp(fd, &r);
        cr_assert_eq(r.status, 200);
        cr_assert_eq(r.body_len, 17);
        cr_assert(memcmp(r.body, "{\"hello\":\"world\"}", 17) == 0);
    }
    send_str(fd, "GET /items/a%20b HTTP/1.1\r\nHost: t\r\n\r\n");
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 3);
    cr_assert(memcmp(r.body, "a b", 3) == 0);
    char v[64];
    cr_assert(header(&r, "X-Test", v, sizeof v));
    const char *post = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                       "Content-Length: 7\r\n\r\n{\"a\":1}";
    send_str(fd, post);
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(r.body_len == 7 && memcmp(r.body, "{\"a\":1}", 7) == 0);
    cr_assert_not(header(&r, "Connection", v, sizeof v) && strcmp(v, "close") == 0);
    close(fd);
}

Test(http, not_found_problem_shape)
{
    struct resp r;
    roundtrip("GET /nope?x=1 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    json_t *j = problem(&r, 404, "not-found");
    cr_assert_str_eq(json_string_value(json_object_get(j, "instance")), "/nope");
    cr_assert(json_is_string(json_object_get(j, "detail")));
    json_decref(j);
    roundtrip("GET /items/%00 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    json_decref(problem(&r, 404, "not-found"));
    roundtrip("GET /items/%2F HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    json_decref(problem(&r, 404, "not-found"));
    roundtrip("GET /items/../hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    json_decref(problem(&r, 404, "not-found"));
}

Test(http, method_not_allowed)
{
    struct resp r;
    roundtrip("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    json_decref(problem(&r, 405, "method-not-allowed"));
    char allow[64];
    cr_assert(header(&r, "Allow", allow, sizeof allow));
    cr_assert_str_eq(allow, "GET, HEAD");
}

Test(http, handler_without_response_is_500)
{
    struct resp r;
    roundtrip("GET /noresp HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    json_decref(problem(&r, 500, "internal"));
}

Test(http, unsupported_media_type_from_handler)
{
    struct resp r;
    roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
              "Content-Length: 2\r\n\r\nhi",
              &r);
    json_decref(problem(&r, 415, "unsupported-media-type"));
    roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: Application/JSON; charset=utf-8"
              "\r\nContent-Length: 2\r\n\r\n{}",
              &r);
    cr_assert_eq(r.status, 200);
}

Test(http, request_id_echo_and_validation)
{
    struct resp r;
    char rid[128];
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\nX-Request-Id: abc.DEF_1-2\r\n\r\n", &r);
    cr_assert(header(&r, "X-Request-Id", rid, sizeof rid));
    cr_assert_str_eq(rid, "abc.DEF_1-2");
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\nX-Request-Id: bad id\"<x>\r\n\r\n", &r);
    cr_assert(header(&r, "X-Request-Id", rid, sizeof rid));
    cr_assert_eq(strlen(rid), 36);
    cr_assert_eq(rid[14], '7'); /* UUIDv7 */
    char longid[200];
    memset(longid, 'a', 65);
    longid[65] = '\0';
    char req[400];
    snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nHost: t\r\nX-Request-Id: %s\r\n\r\n",
             longid);
    roundtrip(req, &r);
    cr_assert(header(&r, "X-Request-Id", rid, sizeof rid));
    cr_assert_eq(strlen(rid), 36);
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    cr_assert(header(&r, "X-Request-Id", rid, sizeof rid));
    cr_assert_eq(strlen(rid), 36);
}

static void big_header_request(size_t filler, struct resp *r, int *fd_out)
{
    static char buf[200000];
    int n = snprintf(buf, sizeof buf, "GET /hello HTTP/1.1\r\nHost: t\r\nX-Fill: ");
    cr_assert(filler + (size_t)n + 8 < sizeof buf);
    memset(buf + n, 'f', filler);
    memcpy(buf + (size_t)n + filler, "\r\n\r\n", 5);
    int fd = dial();
    send_str(fd, buf);
    read_resp(fd, r);
    *fd_out = fd;
}

Test(http, headers_too_large_431)
{
    struct resp r;
    int fd;
    big_header_request(9000, &r, &fd); /* above 8 KiB, within MHD's memory: our 431 */
    json_decref(problem(&r, 431, "headers-too-large"));
    cr_assert(closed_by_server(fd));
    close(fd);
    big_header_request(7000, &r, &fd); /* under the limit */
    cr_assert_eq(r.status, 200);
    close(fd);
    /* far above MHD's per-connection memory: MHD answers itself, still a clean 4xx */
    big_header_request(100000, &r, &fd);
    cr_assert(r.status == 431 || r.status == 414 || r.status == 400, "got %d", r.status);
    close(fd);
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r); /* still up */
    cr_assert_eq(r.status, 200);
}

Test(http, body_too_large_by_content_length)
{
    struct resp r;
    int fd = dial();
    send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 "Content-Length: 65\r\n\r\n");
    read_resp(fd, &r); /* answered before the body is sent */
    json_decref(problem(&r, 413, "payload-too-large"));
    close(fd);
    /* exactly at the limit is fine */
    char body[65];
    memset(body, ' ', 64);
    body[0] = '{';
    body[63] = '}';
    body[64] = '\0';
    char raw[512];
    snprintf(raw, sizeof raw,
             "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Content-Length: 64\r\n\r\n%s",
             body);
    roundtrip(raw, &r);
    cr_assert_eq(r.status, 200);
}

Test(http, body_too_large_chunked)
{
    struct resp r;
    char chunk[41];
    memset(chunk, 'x', 40);
    chunk[40] = '\0';
    char raw[1024];
    snprintf(raw, sizeof raw,
             "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n28\r\n%s\r\n28\r\n%s\r\n0\r\n\r\n",
             chunk, chunk);
    int fd = dial();
    send_str(fd, raw);
    read_resp(fd, &r);
    json_decref(problem(&r, 413, "payload-too-large"));
    cr_assert(closed_by_server(fd));
    close(fd);
    /* a chunked body within the limit */
    roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
              "Transfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
              &r);
    cr_assert_eq(r.status, 200);
    cr_assert(r.body_len == 7 && memcmp(r.body, "{\"a\":1}", 7) == 0);
}

Test(http, suspend_and_resume_from_another_thread)
{
    struct resp r;
    int fd = dial();
    send_str(fd, "GET /suspend HTTP/1.1\r\nHost: t\r\n\r\n");
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(r.body_len == 7 && memcmp(r.body, "resumed", 7) == 0);
    for (int i = 0; i < 20; i++) { /* the synchronous resume race, on the same connection */
        send_str(fd, "GET /sync-suspend HTTP/1.1\r\nHost: t\r\n\r\n");
        read_resp(fd, &r);
        cr_assert_eq(r.status, 200);
    }
    send_str(fd, "GET /suspend HTTP/1.1\r\nHost: t\r\n\r\n");
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200);
    close(fd);
}

Test(http, metrics_text)
{
    struct resp r;
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    roundtrip("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    /* requests are counted when MHD reports them complete, just after the client has the
     * response: poll until both show up */
    for (int i = 0; i < 200; i++) {
        roundtrip("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r);
        cr_assert_eq(r.status, 200);
        r.body[r.body_len] = '\0';
        if (strstr(r.body, "status=\"404\"") && strstr(r.body, "status=\"200\"} 1\n"))
            break;
        sleep_ms(10);
    }
    const char *want[] = {
        "# TYPE pocketstate_http_requests_total counter",
        "pocketstate_http_requests_total{route=\"/hello\",method=\"GET\",status=\"200\"} 1\n",
        "pocketstate_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
        "# TYPE pocketstate_http_request_duration_seconds histogram",
        "pocketstate_http_request_duration_seconds_bucket{route=\"/hello\",le=\"0.0005\"}",
        "pocketstate_http_request_duration_seconds_bucket{route=\"/hello\",le=\"+Inf\"} 1\n",
        "pocketstate_http_request_duration_seconds_count{route=\"/hello\"} 1\n",
        "# TYPE pocketstate_http_requests_in_flight gauge\npocketstate_http_requests_in_flight ",
        "# TYPE pocketstate_http_connections gauge\npocketstate_http_connections ",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_not_null(strstr(r.body, want[i]), "missing %s in\n%s", want[i], r.body);
}

/* ---------- tests with their own limits ---------- */

static void stop_if_running(void)
{
    if (server)
        stop();
}

Test(http_limits, slow_request_408, .fini = stop_if_running, .timeout = 60)
{
    struct ps_http_limits lim;
    ps_http_limits_init(&lim);
    lim.request_timeout_s = 1;
    lim.idle_timeout_s = 10;
    start_with(&lim);
    struct resp r;
    int fd = dial();
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n");
    sleep_ms(1500);
    send_str(fd, "X-Late: 1\r\n\r\n");
    read_resp(fd, &r);
    json_decref(problem(&r, 408, "request-timeout"));
    cr_assert(closed_by_server(fd));
    close(fd);
    /* a body that stops past the deadline: answered past MHD (which cannot answer mid-body) */
    fd = dial();
    send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 "Content-Length: 10\r\n\r\n{");
    sleep_ms(1500);
    send_str(fd, "\"a\":12}");
    read_resp(fd, &r);
    json_decref(problem(&r, 408, "request-timeout"));
    cr_assert(closed_by_server(fd));
    close(fd);
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    cr_assert_eq(r.status, 200);
}

Test(http_limits, idle_connection_closed, .fini = stop_if_running, .timeout = 60)
{
    struct ps_http_limits lim;
    ps_http_limits_init(&lim);
    lim.idle_timeout_s = 1;
    start_with(&lim);
    struct resp r;
    int fd = dial();
    send_str(fd, "GET /hel"); /* and then nothing: cut before MHD's idle timeout, with a 408 */
    read_resp(fd, &r);
    json_decref(problem(&r, 408, "request-timeout"));
    cr_assert(closed_by_server(fd)); /* within the 5 s receive timeout */
    close(fd);
    fd = dial(); /* nothing at all: closed without an answer */
    cr_assert(closed_by_server(fd));
    close(fd);
    fd = dial(); /* keep-alive, then nothing: closed without an answer */
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(closed_by_server(fd));
    close(fd);
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    cr_assert_eq(r.status, 200);
}

static void start_deadline_1s(void)
{
    struct ps_http_limits lim;
    ps_http_limits_init(&lim);
    lim.request_timeout_s = 1;
    lim.idle_timeout_s = 10;
    lim.threads = 2;
    start_with(&lim);
}

/* One header byte every 100 ms keeps MHD's idle timer happy; the deadline still ends it. */
Test(http_limits, trickled_headers_408, .fini = stop_if_running, .timeout = 60)
{
    start_deadline_1s();
    int fd = dial();
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n");
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char got = 0;
    int i = 0;
    for (; i < 50; i++) { /* 5 s: far past the 1 s deadline */
        send_all(fd, "X", 1);
        ssize_t k = recv(fd, &got, 1, MSG_PEEK);
        if (k != 0 && !(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
            break;
    }
    cr_assert_lt(i, 50, "still connected, no answer, after 5 s of trickled headers");
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct resp r;
    read_resp(fd, &r);
    json_decref(problem(&r, 408, "request-timeout"));
    char v[32];
    cr_assert(header(&r, "Connection", v, sizeof v));
    cr_assert_str_eq(v, "close");
    cr_assert(closed_by_server(fd));
    close(fd);
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r); /* still up */
    cr_assert_eq(r.status, 200);
}

/* Garbage where a request line should be is answered 400 problem+json at once, from the
 * first bytes (the gate reads them before MHD, which would have waited on a line starting
 * with NUL, closed silently on one without a space, or answered its own HTML). */
Test(http_limits, garbage_request_line, .fini = stop_if_running, .timeout = 60)
{
    start_deadline_1s();
    static const struct {
        const char *raw;
        size_t len;
    } junk[] = {
#define JUNK(s) {s, sizeof s - 1}
        JUNK("\x00\x01\x02\r\n\r\n"), JUNK("GARBAGE\r\n\r\n"),
        JUNK("GET / FOO\r\nHost: t\r\n\r\n"), JUNK("\x16\x03\x01\x02\x00"),
#undef JUNK
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        struct resp r;
        int fd = dial();
        send_all(fd, junk[i].raw, junk[i].len);
        read_resp(fd, &r);
        json_decref(problem(&r, 400, "bad-request"));
        cr_assert(closed_by_server(fd), "junk %zu: connection kept open", i);
        close(fd);
    }
    struct resp r;
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    cr_assert_eq(r.status, 200);
}

/* The deadline covers reading a request, not keep-alive pauses nor suspended handlers. */
Test(http_limits, deadline_spares_keepalive_and_handlers, .fini = stop_if_running,
     .timeout = 60)
{
    start_deadline_1s();
    struct resp r;
    int fd = dial();
    for (int i = 0; i < 2; i++) {
        send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        read_resp(fd, &r);
        cr_assert_eq(r.status, 200);
        sleep_ms(1500);
    }
    send_str(fd, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"); /* suspended for 1.5 s */
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(r.body_len == 7 && memcmp(r.body, "resumed", 7) == 0);
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200);
    close(fd);
}

/* Sends a chunked body of total bytes in 4 KiB chunks to /echo (limit 64), watching for an
 * early answer after each chunk; then reads the response. */
static void chunked_flood(size_t total, struct resp *r, int *fd_out)
{
    int fd = dial();
    send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    static char chunk[4096 + 16];
    memcpy(chunk, "1000\r\n", 6);
    memset(chunk + 6, 'x', 4096);
    memcpy(chunk + 6 + 4096, "\r\n", 2);
    for (size_t sent = 0; sent < total; sent += 4096) {
        send_all(fd, chunk, 4096 + 8);
        char c;
        if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != -1)
            break; /* an answer (or the close) is there */
    }
    read_resp(fd, r);
    *fd_out = fd;
}

Test(http, body_too_large_chunked_far_over)
{
    struct resp r;
    int fd;
    chunked_flood(64u << 20, &r, &fd); /* 64 MiB against a 64 byte limit */
    json_decref(problem(&r, 413, "payload-too-large"));
    char v[32];
    cr_assert(header(&r, "Connection", v, sizeof v));
    cr_assert_str_eq(v, "close");
    cr_assert(closed_by_server(fd));
    close(fd);
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r); /* still up */
    cr_assert_eq(r.status, 200);
}

static void hold_connections(int *fds, int n)
{
    struct resp r;
    for (int i = 0; i < n; i++) {
        fds[i] = dial();
        send_str(fds[i], "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        read_resp(fds[i], &r); /* the server has counted this connection */
        cr_assert_eq(r.status, 200);
    }
}

Test(http_limits, per_ip_429, .fini = stop_if_running, .timeout = 60)
{
    struct ps_http_limits lim;
    ps_http_limits_init(&lim);
    lim.max_per_ip = 2;
    lim.threads = 2;
    start_with(&lim);
    int fds[2];
    hold_connections(fds, 2);
    int fd = dial();
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    struct resp r;
    read_resp(fd, &r);
    json_decref(problem(&r, 429, "too-many-requests"));
    char v[32];
    cr_assert(header(&r, "Connection", v, sizeof v));
    cr_assert_str_eq(v, "close");
    cr_assert(closed_by_server(fd));
    close(fd);
    close(fds[0]);
    sleep_ms(200); /* let the server see the close */
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    cr_assert_eq(r.status, 200);
    close(fds[1]);
}

/* A connection whose request is past its headers (a body arriving), which nothing may drop. */
static int hold_busy(void)
{
    int fd = dial();
    send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 "Content-Length: 10\r\n\r\n{");
    return fd;
}

static void start_two_connections(void)
{
    struct ps_http_limits lim;
    ps_http_limits_init(&lim);
    lim.max_connections = 2;
    lim.max_per_ip = 0;
    lim.threads = 2;
    start_with(&lim);
}

/* At max_connections with nothing to drop (every connection has a request past its headers),
 * a new connection gets 503. */
Test(http_limits, max_connections_503, .fini = stop_if_running, .timeout = 60)
{
    start_two_connections();
    int fds[2] = {hold_busy(), hold_busy()};
    sleep_ms(200); /* both are MHD's, their bodies arriving */
    int fd = dial();
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    struct resp r;
    read_resp(fd, &r);
    json_decref(problem(&r, 503, "overloaded"));
    char v[32];
    cr_assert(header(&r, "Connection", v, sizeof v));
    cr_assert_str_eq(v, "close");
    close(fd);
    close(fds[0]);
    close(fds[1]);
}

/* At max_connections an idle keep-alive connection is closed to make room (RFC 9112 9.6: an
 * idle connection may be closed at any time); a connection whose first request MHD has not
 * read yet never is. */
Test(http_limits, max_connections_closes_idle_keepalive, .fini = stop_if_running,
     .timeout = 60)
{
    start_two_connections();
    int fds[2];
    hold_connections(fds, 2);
    struct resp r;
    roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    cr_assert_eq(r.status, 200, "the new connection was not served");
    struct timeval tv = {0, 300000}; /* the one left open times out */
    setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int closed = closed_by_server(fds[0]) + closed_by_server(fds[1]);
    cr_assert_eq(closed, 1, "%d of the 2 idle connections were closed", closed);
    close(fds[0]);
    close(fds[1]);
}

struct client_arg {
    const char *raw;
    struct resp r;
};

static void *client_thread(void *arg)
{
    struct client_arg *a = arg;
    roundtrip(a->raw, &a->r);
    return NULL;
}

static void wait_gate_waiting(int n)
{
    pthread_mutex_lock(&gate_lock);
    while (gate_waiting < n)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static void *open_gate_later(void *arg)
{
    sleep_ms(200);
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    return NULL;
}

/* During the grace period a new connection is refused (the listen socket is closed), or, if
 * the kernel took it just before, closed without an answer: the server only finishes what it
 * has. */
struct late_client {
    unsigned short port;
    ssize_t got; /* bytes of answer: 0 when closed unanswered */
};

static void *late_client_thread(void *arg)
{
    struct late_client *l = arg;
    sleep_ms(100); /* stop() is waiting for the gate by now */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(l->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->got = -2;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        const char *req = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
        (void)send(fd, req, strlen(req), MSG_NOSIGNAL);
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        l->got = n < 0 && errno == ECONNRESET ? 0 : n;
    } else if (errno == ECONNREFUSED) {
        l->got = 0; /* the listen socket is closed at stop: refused, never answered */
    }
    close(fd);
    return NULL;
}

Test(http_limits, stop_finishes_suspended_request, .timeout = 60)
{
    start_default();
    struct client_arg a = {.raw = "GET /gate HTTP/1.1\r\nHost: t\r\n\r\n"};
    struct late_client late = {.port = ps_http_port(server)};
    pthread_t ct, gt, lt;
    cr_assert_eq(pthread_create(&ct, NULL, client_thread, &a), 0);
    wait_gate_waiting(1); /* the request is suspended now */
    cr_assert_eq(pthread_create(&gt, NULL, open_gate_later, NULL), 0);
    cr_assert_eq(pthread_create(&lt, NULL, late_client_thread, &late), 0);
    stop(); /* waits for it */
    pthread_join(ct, NULL);
    pthread_join(gt, NULL);
    pthread_join(lt, NULL);
    cr_assert_eq(late.got, 0, "a connection made while stopping is closed unanswered");
    cr_assert_eq(a.r.status, 200);
    cr_assert(a.r.body_len == 7 && memcmp(a.r.body, "resumed", 7) == 0);
    char v[32];
    cr_assert(header(&a.r, "Connection", v, sizeof v));
    cr_assert_str_eq(v, "close");
}

/* A request suspended at /gate (no withdraw hook) or /gate-withdrawable (its hook answers
 * `answer`) when the grace period ends: the 503's type and detail say what became of its work;
 * the gate opens afterwards, and the late resume is a harmless no-op. */
static void stop_after_grace(const char *path, int answer, const char *type, const char *detail)
{
    struct ps_http_limits lim;
    ps_http_limits_init(&lim);
    lim.shutdown_grace_ms = 100;
    withdraw_answer = answer;
    withdraw_calls = 0;
    start_with(&lim);
    char raw[128];
    int n = snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    cr_assert(n > 0 && (size_t)n < sizeof raw);
    struct client_arg a = {.raw = raw};
    pthread_t ct;
    cr_assert_eq(pthread_create(&ct, NULL, client_thread, &a), 0);
    wait_gate_waiting(1);
    stop(); /* the gate stays shut past the grace period */
    pthread_join(ct, NULL);
    cr_assert_eq(withdraw_calls, strcmp(path, "/gate") == 0 ? 0 : 1);
    json_t *p = problem(&a.r, 503, type);
    cr_assert(strstr(json_string_value(json_object_get(p, "detail")), detail), "%s",
              json_string_value(json_object_get(p, "detail")));
    json_decref(p);
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    sleep_ms(50);
}

Test(http_limits, stop_after_grace_answers_503, .timeout = 60)
{
    /* nothing said the work could be withdrawn: it may still complete */
    stop_after_grace("/gate", 0, "outcome-unknown", "read the resource");
}

Test(http_limits, stop_after_grace_withdrawn_work_says_nothing_was_done, .timeout = 60)
{
    stop_after_grace("/gate-withdrawable", 1, "overloaded", "nothing was done");
}

Test(http_limits, stop_after_grace_work_not_withdrawn_is_outcome_unknown, .timeout = 60)
{
    stop_after_grace("/gate-withdrawable", 0, "outcome-unknown", "may still be applied");
}

Test(http_limits, bad_config, .timeout = 30)
{
    struct ps_http_config cfg = {.listen_addr = "not-an-ip", .routes = routes, .nroutes = 1};
    ps_http_limits_init(&cfg.limits);
    struct ps_http_server *s = NULL;
    struct ps_diag d;
    cr_assert_eq(ps_http_start(&cfg, &s, &d), PS_ERR_INVALID);
    cr_assert_null(s);
    ps_http_stop(NULL);
}

Test(http_limits, ipv6_loopback, .fini = stop_if_running, .timeout = 30)
{
    struct ps_http_config cfg = {.listen_addr = "::1", .routes = routes, .nroutes = 1};
    ps_http_limits_init(&cfg.limits);
    struct ps_diag d;
    if (ps_http_start(&cfg, &server, &d) != PS_OK)
        cr_skip_test("no IPv6 loopback here: %s", d.message);
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(ps_http_port(server))};
    a.sin6_addr = in6addr_loopback;
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    struct resp r;
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200);
    close(fd);
}

/* ---------- body framing (RFC 9112 6.1): refused, never guessed ---------- */

Test(http, ambiguous_framing_400)
{
    static const char *const bad[] = {
        /* the smuggling case: the body and a second request hide behind two framings */
        "GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked"
        "\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /count HTTP/1.1\r\nHost: t\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 0"
        "\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked \r\n\r\n",
        "POST /echo HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    };
    int before = __atomic_load_n(&count_runs, __ATOMIC_SEQ_CST);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = dial();
        send_str(fd, bad[i]);
        struct resp r;
        read_resp(fd, &r);
        cr_assert_eq(r.status, 400, "case %zu: got %d\n%s", i, r.status, r.head);
        json_decref(problem(&r, 400, "bad-request"));
        char v[32];
        cr_assert(header(&r, "Connection", v, sizeof v) && strcmp(v, "close") == 0,
                  "case %zu", i);
        cr_assert(closed_by_server(fd), "case %zu: connection kept open", i);
        close(fd);
    }
    cr_assert_eq(__atomic_load_n(&count_runs, __ATOMIC_SEQ_CST), before,
                 "the smuggled request ran");
    /* "chunked" is case-insensitive */
    struct resp r;
    roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
              "Transfer-Encoding:  ChUnKeD\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
              &r);
    cr_assert_eq(r.status, 200, "%s", r.head);
    cr_assert(r.body_len == 2 && memcmp(r.body, "{}", 2) == 0);
}

/* ---------- the sweep against the connection's own thread ---------- */

static int hook_from = -1, hook_to = -1; /* atomic: the transition to stall, once */
static int hook_done; /* atomic: the stalled thread went on */

/* Stalls the connection's thread right before its compare-and-swap, past the 1 s deadline
 * plus a sweep period: the sweep claims the connection and answers 408 meanwhile. */
static void stall_once(int from, int to)
{
    int f = __atomic_load_n(&hook_from, __ATOMIC_SEQ_CST);
    if (f != from || __atomic_load_n(&hook_to, __ATOMIC_SEQ_CST) != to)
        return;
    if (!__atomic_compare_exchange_n(&hook_from, &f, -1, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return;
    sleep_ms(1600);
    __atomic_store_n(&hook_done, 1, __ATOMIC_SEQ_CST);
}

static void unhook(void)
{
    __atomic_store_n(&ps_http_test_stage_hook, NULL, __ATOMIC_SEQ_CST);
    __atomic_store_n(&hook_from, -1, __ATOMIC_SEQ_CST);
    stop_if_running();
}

/* Whichever stage the sweep cuts, the handler must not run for a request the client was
 * told timed out (it may commit a write). */
Test(http_limits, sweep_wins_race_handler_never_runs, .fini = unhook, .timeout = 60)
{
    start_deadline_1s();
    __atomic_store_n(&ps_http_test_stage_hook, stall_once, __ATOMIC_SEQ_CST);
    static const int stages[][2] = {
        {PS_RX_WAIT, PS_RX_HEAD}, {PS_RX_HEAD, PS_RX_BODY}, {PS_RX_BODY, PS_RX_NONE}};
    for (size_t i = 0; i < 3; i++) {
        __atomic_store_n(&count_runs, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&hook_done, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&hook_to, stages[i][1], __ATOMIC_SEQ_CST);
        __atomic_store_n(&hook_from, stages[i][0], __ATOMIC_SEQ_CST);
        int fd = dial();
        send_str(fd, "GET /count HTTP/1.1\r\nHost: t\r\n\r\n");
        struct resp r;
        read_resp(fd, &r);
        cr_assert_eq(r.status, 408, "stage %d -> %d: got %d", stages[i][0], stages[i][1],
                     r.status);
        json_decref(problem(&r, 408, "request-timeout"));
        cr_assert(closed_by_server(fd));
        close(fd);
        cr_assert_eq(__atomic_load_n(&hook_from, __ATOMIC_SEQ_CST), -1, "hook never ran");
        while (!__atomic_load_n(&hook_done, __ATOMIC_SEQ_CST))
            sleep_ms(10);
        sleep_ms(200); /* the stalled thread's next steps (a handler, if it were to run) */
        cr_assert_eq(__atomic_load_n(&count_runs, __ATOMIC_SEQ_CST), 0,
                     "stage %d -> %d: the handler ran after the 408", stages[i][0],
                     stages[i][1]);
    }
    struct resp r; /* the hook passes through: a normal request still works */
    roundtrip("GET /count HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(__atomic_load_n(&count_runs, __ATOMIC_SEQ_CST), 1);
}

/* ---------- the sweep answers without holding conn_lock ---------- */

static int fifo_rd = -1;

static void *drain_fifo(void *arg)
{
    (void)arg;
    char buf[4096];
    while (read(fifo_rd, buf, sizeof buf) > 0)
        ;
    return NULL;
}

/* The log goes to a FIFO nobody reads, so the sweep's log line blocks. Connections must
 * still open and be served meanwhile: the sweep logs after releasing conn_lock. */
Test(http_limits, sweep_log_does_not_block_connections, .fini = stop_if_running,
     .timeout = 60)
{
    char path[] = "/tmp/ps-http-test-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    char fifo[64];
    cr_assert(snprintf(fifo, sizeof fifo, "%s/log", path) < (int)sizeof fifo);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    fifo_rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(fifo_rd, 0);
    int fill = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(fill, 0);
    static char junk[4096];
    memset(junk, '\n', sizeof junk);
    while (write(fill, junk, sizeof junk) > 0)
        ;
    cr_assert_eq(errno, EAGAIN);
    close(fill);
    struct ps_http_limits lim;
    ps_http_limits_init(&lim);
    lim.request_timeout_s = 1;
    lim.idle_timeout_s = 10;
    lim.threads = 2;
    struct ps_http_config cfg = {
        .listen_addr = "127.0.0.1", .limits = lim, .routes = routes,
        .nroutes = sizeof routes / sizeof routes[0], .log_requests = false};
    struct ps_diag d;
    cr_assert_eq(ps_http_start(&cfg, &server, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_log_open(fifo), PS_OK); /* full: the next log line blocks */
    int stalled = dial();
    struct resp r;
    send_str(stalled, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    read_resp(stalled, &r); /* MHD has the connection now: its next head is the sweep's */
    cr_assert_eq(r.status, 200);
    send_str(stalled, "GET /hello HTTP/1.1\r\nHost: t\r\n"); /* 408, then a blocked log */
    read_resp(stalled, &r);
    json_decref(problem(&r, 408, "request-timeout"));
    sleep_ms(200); /* the sweep is in ps_log now */
    for (int i = 0; i < 3; i++) { /* each connection opens under conn_lock */
        roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
        cr_assert_eq(r.status, 200, "connection %d not served while the sweep logs", i);
    }
    int flags = fcntl(fifo_rd, F_GETFL);
    cr_assert_eq(fcntl(fifo_rd, F_SETFL, flags & ~O_NONBLOCK), 0);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, drain_fifo, NULL), 0);
    cr_assert_eq(ps_log_open(NULL), PS_OK); /* after the blocked line: closes the FIFO */
    pthread_join(t, NULL);
    close(fifo_rd);
    close(stalled);
    unlink(fifo);
    rmdir(path);
}

/* ---------- body memory ---------- */

/* 3 MiB chunked within the route's limit and the 4 MiB arena: growth wastes nothing. */
Test(http, big_chunked_body_within_limit)
{
    int fd = dial();
    send_str(fd, "POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    static char chunk[65536 + 16];
    memcpy(chunk, "10000\r\n", 7);
    memset(chunk + 7, 'b', 65536);
    memcpy(chunk + 7 + 65536, "\r\n", 2);
    for (int i = 0; i < 48; i++)
        send_all(fd, chunk, 65536 + 9);
    send_str(fd, "0\r\n\r\n");
    struct resp r;
    read_resp(fd, &r);
    cr_assert_eq(r.status, 200, "%s", r.head);
    r.body[r.body_len] = '\0';
    cr_assert_str_eq(r.body, "3145728");
    close(fd);
}

/* Memory running out while a body arrives: a 500 problem, never a silent close. */
Test(http, body_allocation_failure_500)
{
    static const char *const reqs[] = {
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\n\r\n{}",
    };
    for (size_t i = 0; i < 2; i++) {
        int fd = dial();
        struct resp r;
        /* a first request on the connection sizes its arena and response buffer */
        send_str(fd, "GET /nope/a-long-path-so-that-this-404-problem-is-larger-than-the-500-"
                     "problem-that-follows-it-on-the-connection/and-then-some-more-bytes "
                     "HTTP/1.1\r\nHost: t\r\n\r\n");
        read_resp(fd, &r);
        cr_assert_eq(r.status, 404);
        ps_alloc_fail_after(0);
        send_str(fd, reqs[i]);
        read_resp(fd, &r);
        ps_alloc_fail_reset();
        json_t *j = problem(&r, 500, "internal");
        cr_assert_str_eq(json_string_value(json_object_get(j, "detail")),
                         "no memory for the request body");
        json_decref(j);
        cr_assert(closed_by_server(fd));
        close(fd);
    }
}

Test(http_limits, bad_config_body_over_arena, .timeout = 30)
{
    struct ps_http_config cfg = {.listen_addr = "127.0.0.1", .routes = routes,
                                 .nroutes = sizeof routes / sizeof routes[0]};
    ps_http_limits_init(&cfg.limits);
    cfg.limits.arena_bytes = 4u << 20;
    cfg.limits.max_body_bytes = (4u << 20) + 1;
    struct ps_http_server *s = NULL;
    struct ps_diag d;
    cr_assert_eq(ps_http_start(&cfg, &s, &d), PS_ERR_INVALID);
    cr_assert_null(s);
    cr_assert_not_null(strstr(d.message, "limits.max_body_bytes (4194305)"), "%s", d.message);
    cfg.limits.max_body_bytes = 1u << 20;
    cfg.limits.arena_bytes = 2u << 20; /* below the 3 MiB of POST /big */
    cr_assert_eq(ps_http_start(&cfg, &s, &d), PS_ERR_INVALID);
    cr_assert_null(s);
    cr_assert_not_null(strstr(d.message, "route POST /big (3145728)"), "%s", d.message);
    cfg.limits.arena_bytes = 3u << 20; /* exactly enough */
    cr_assert_eq(ps_http_start(&cfg, &s, &d), PS_OK, "%s", d.message);
    ps_http_stop(s);
}
