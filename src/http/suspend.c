/* Suspend and resume: a handler that waits for work elsewhere (a store job) suspends its
 * request, another thread resumes it, and the continuation runs on a server thread. Also what
 * shutdown does with requests still suspended when the grace period ends (503, memory kept
 * for a late resume). The state protocol is in docs/internals/http.md. */
#include "core/log.h"
#include "http/http_int.h"

/* ---------- the list of suspended requests (for shutdown) ---------- */

static void susp_add(struct ps_http_server *s, struct ps_http_conn *c)
{
    pthread_mutex_lock(&s->susp_lock);
    c->prev_susp = NULL;
    c->next_susp = s->susp_head;
    if (s->susp_head)
        s->susp_head->prev_susp = c;
    s->susp_head = c;
    c->suspended_list = true;
    pthread_mutex_unlock(&s->susp_lock);
}

/* Under susp_lock. */
static void susp_unlink(struct ps_http_server *s, struct ps_http_conn *c)
{
    if (!c->suspended_list)
        return;
    if (c->prev_susp)
        c->prev_susp->next_susp = c->next_susp;
    else
        s->susp_head = c->next_susp;
    if (c->next_susp)
        c->next_susp->prev_susp = c->prev_susp;
    c->suspended_list = false;
}

void ps_http_susp_remove(struct ps_http_server *s, struct ps_http_conn *c)
{
    pthread_mutex_lock(&s->susp_lock);
    susp_unlink(s, c);
    pthread_mutex_unlock(&s->susp_lock);
}

/* ---------- the handler's side ---------- */

void ps_req_suspend(struct ps_req *req, ps_handler_fn then)
{
    PS_ASSERT(then && __atomic_load_n(&req->state_, __ATOMIC_SEQ_CST) == PS_RS_RUNNING);
    req->then_ = then;
    __atomic_store_n(&req->state_, PS_RS_SUSPENDING, __ATOMIC_SEQ_CST);
}

void ps_req_resume(struct ps_req *req)
{
    int st = __atomic_load_n(&req->state_, __ATOMIC_SEQ_CST);
    for (;;) {
        if (st == PS_RS_ABANDONED)
            return; /* shutdown answered it already; memory is kept alive for us */
        PS_ASSERT(st == PS_RS_SUSPENDING || st == PS_RS_SUSPENDED);
        if (__atomic_compare_exchange_n(&req->state_, &st, PS_RS_RESUMED, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            break;
    }
    /* SUSPENDING: the server thread has not suspended yet and will see RESUMED itself */
    if (st == PS_RS_SUSPENDED) {
        struct ps_http_conn *c = req->conn_;
        MHD_resume_connection(c->mhd);
    }
}

void ps_req_on_abandon(struct ps_req *req, bool (*withdraw)(struct ps_req *req, void *ctx),
                       void *ctx)
{
    req->withdraw = withdraw;
    req->withdraw_ctx = ctx;
}

/* ---------- abandoned requests ---------- */

/* Abandoned connections stay reachable from here for the life of the process, so a late
 * ps_req_resume touches live memory (and leak checkers see no leak). */
static pthread_mutex_t zombie_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ps_http_conn *zombies;

static void make_zombie(struct ps_http_conn *c)
{
    pthread_mutex_lock(&zombie_lock);
    if (!c->zombie) {
        c->zombie = true;
        c->next_zombie = zombies;
        zombies = c;
    }
    pthread_mutex_unlock(&zombie_lock);
}

/* Answers a request the shutdown gave up on, truthfully about its work: withdrawn before it
 * ran, or possibly still completing (a store job a committer has already taken). */
static enum ps_settle abandon(struct ps_http_conn *c)
{
    make_zombie(c);
    bool (*withdraw)(struct ps_req *, void *) = c->req.withdraw;
    c->req.withdraw = NULL;
    if (withdraw && withdraw(&c->req, c->req.withdraw_ctx))
        ps_resp_problem(&c->req, 503, "overloaded", "Service Unavailable",
                        "the server is shutting down; nothing was done");
    else
        ps_resp_problem(&c->req, 503, "outcome-unknown", "Outcome unknown",
                        "the server is shutting down before this request finished; its write "
                        "may still be applied: read the resource before retrying");
    c->must_close = true;
    return PS_SETTLE_ABANDONED;
}

/* ---------- the server's side ---------- */

static void run_continuation(struct ps_req *req)
{
    ps_handler_fn then = req->then_;
    req->then_ = NULL;
    req->withdraw = NULL; /* the suspended work is over */
    __atomic_store_n(&req->state_, PS_RS_RUNNING, __ATOMIC_SEQ_CST);
    then(req);
}

/* SUSPENDING: suspends in MHD before the compare-and-swap to SUSPENDED, so that
 * ps_req_resume never calls MHD_resume_connection for a connection MHD has not suspended. */
static enum ps_settle suspend_now(struct ps_http_conn *c)
{
    susp_add(c->srv, c);
    MHD_suspend_connection(c->mhd);
    int exp = PS_RS_SUSPENDING;
    if (!__atomic_compare_exchange_n(&c->req.state_, &exp, PS_RS_SUSPENDED, false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        MHD_resume_connection(c->mhd); /* resumed in between: MHD calls us again */
    return PS_SETTLE_SUSPENDED;
}

enum ps_settle ps_http_settle(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    for (;;) {
        int st = __atomic_load_n(&req->state_, __ATOMIC_SEQ_CST);
        if (st == PS_RS_RUNNING)
            return PS_SETTLE_RESPOND;
        if (st == PS_RS_RESUMED) { /* resumed before we suspended: continue inline */
            run_continuation(req);
            continue;
        }
        PS_ASSERT(st == PS_RS_SUSPENDING);
        if (!__atomic_load_n(&c->srv->abandoning, __ATOMIC_SEQ_CST))
            return suspend_now(c);
        int exp = PS_RS_SUSPENDING;
        if (__atomic_compare_exchange_n(&req->state_, &exp, PS_RS_ABANDONED, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return abandon(c);
        /* it was resumed meanwhile: go round */
    }
}

enum ps_settle ps_http_reentry(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    int st = __atomic_load_n(&req->state_, __ATOMIC_SEQ_CST);
    if (st == PS_RS_RESUMED) {
        ps_http_susp_remove(c->srv, c);
        run_continuation(req);
        return ps_http_settle(c);
    }
    if (st == PS_RS_ABANDONED)
        return abandon(c);
    return PS_SETTLE_SUSPENDED; /* spurious call while suspending */
}

/* The lock only guards the list; MHD is called outside it. */
static void abandon_pass(struct ps_http_server *s)
{
    struct ps_http_conn *todo = NULL;
    pthread_mutex_lock(&s->susp_lock);
    struct ps_http_conn *c = s->susp_head;
    while (c) {
        struct ps_http_conn *next = c->next_susp;
        int exp = PS_RS_SUSPENDED;
        if (__atomic_compare_exchange_n(&c->req.state_, &exp, PS_RS_ABANDONED, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            make_zombie(c);
            susp_unlink(s, c);
            c->next_susp = todo;
            todo = c;
        }
        c = next;
    }
    pthread_mutex_unlock(&s->susp_lock);
    while (todo) {
        struct ps_http_conn *next = todo->next_susp;
        ps_log(PS_LOG_WARN, "http: request %s still suspended at shutdown: answered 503",
               todo->req.request_id);
        MHD_resume_connection(todo->mhd);
        todo = next;
    }
}

void ps_http_abandon_suspended(struct ps_http_server *s)
{
    __atomic_store_n(&s->abandoning, 1, __ATOMIC_SEQ_CST);
    abandon_pass(s);
}
