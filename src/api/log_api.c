/* Transparency log routes: the C2SP checkpoint and tiles at the server root (what standard
 * tlog clients fetch), the log's verifier key, proof conveniences, witness cosignature
 * submission, and "who used my data" for a person. Reads run in ps_store_read; writes (the
 * cosignatures, and the access record that reading a person's access log itself creates) are
 * store jobs, the request suspended until they commit. All SQL is in src/tlog/log.c. */
#include <inttypes.h>
#include <string.h>

#include "api/api_int.h"
#include "core/buf.h"
#include "core/ids.h"
#include "registries/rnokpp.h"
#include "store/store.h"
#include "tlog/access.h"
#include "tlog/integrator.h"
#include "tlog/log.h"

#define TILE_CACHE "public, max-age=31536000, immutable"
#define PAGE_DEFAULT 20

static void oom(struct ps_req *req)
{
    ps_resp_problem(req, 500, "internal", "Internal error", "out of memory");
}

/* ---- checkpoint ---- */

static enum ps_err latest_tx(struct ps_tx *tx, void *ctx)
{
    uint64_t size;
    return ps_tlog_latest(tx, &size, ctx);
}

void ps_api_log_checkpoint(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct ps_buf b;
    struct ps_diag d = {0};
    ps_buf_init(&b, PS_NOTE_MAX_BYTES);
    enum ps_err e = ps_store_read(app->store, latest_tx, &b, &d);
    if (e == PS_OK) {
        ps_resp_header(req, "Cache-Control", "no-cache");
        ps_resp_bytes(req, 200, "text/plain; charset=utf-8", ps_buf_str(&b));
    } else if (e == PS_ERR_NOTFOUND) {
        ps_resp_problem(req, 404, "not-found", "Not found", "the log has no checkpoint yet");
    } else {
        d.code = e;
        ps_api_fail_store(req, &d);
    }
    ps_buf_reset(&b);
}

/* ---- tiles ---- */

struct tile_read {
    struct ps_tile tile;
    struct ps_buf out;
};

static enum ps_err tile_tx(struct ps_tx *tx, void *ctx)
{
    struct tile_read *t = ctx;
    return ps_tlog_tile(tx, &t->tile, &t->out);
}

static void serve_tile(struct ps_req *req, const char *path)
{
    struct ps_app *app = req->app;
    struct tile_read t;
    struct ps_diag d = {0};
    if (!path) {
        oom(req);
        return;
    }
    if (ps_tile_parse(ps_str_from_cstr(path), &t.tile, &d) != PS_OK) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input", "%s", d.message);
        return;
    }
    ps_buf_init(&t.out, PS_TILE_WIDTH * (PS_BUNDLE_MAX_ENTRY + 2));
    enum ps_err e = ps_store_read(app->store, tile_tx, &t, &d);
    if (e == PS_OK) {
        ps_resp_header(req, "Cache-Control", TILE_CACHE);
        ps_resp_bytes(req, 200, "application/octet-stream", ps_buf_str(&t.out));
    } else if (e == PS_ERR_NOTFOUND) {
        ps_resp_problem(req, 404, "not-found", "Not found",
                        "%s is not part of the latest checkpoint", path);
    } else {
        d.code = e;
        ps_api_fail_store(req, &d);
    }
    ps_buf_reset(&t.out);
}

void ps_api_log_tile(struct ps_req *req)
{
    struct ps_str l = ps_req_param(req, "L"), n = ps_req_param(req, "N");
    serve_tile(req, ps_arena_printf(req->arena, "tile/%.*s/%.*s", PS_STR_FMT(l), PS_STR_FMT(n)));
}

void ps_api_log_entries(struct ps_req *req)
{
    struct ps_str n = ps_req_param(req, "N");
    serve_tile(req, ps_arena_printf(req->arena, "tile/entries/%.*s", PS_STR_FMT(n)));
}

/* ---- key ---- */

void ps_api_log_key(struct ps_req *req)
{
    struct ps_app *app = req->app;
    if (!app->log_key || !app->log_key[0]) {
        ps_resp_problem(req, 503, "not-ready", "Not ready", "the log key is not loaded");
        return;
    }
    char *body = ps_arena_printf(req->arena, "%s\n", app->log_key);
    if (!body) {
        oom(req);
        return;
    }
    ps_resp_header(req, "Cache-Control", "public, max-age=3600");
    ps_resp_bytes(req, 200, "text/plain; charset=utf-8", ps_str_from_cstr(body));
}

/* ---- proofs ---- */

/* A required unsigned query parameter; false when it has answered 400. */
static bool query_u64(struct ps_req *req, const char *name, uint64_t *out)
{
    struct ps_str v = ps_req_query(req, name);
    if (!v.p || ps_str_to_u64(v, out) != PS_OK || *out > INT64_MAX) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input",
                        "query parameter %s must be a decimal tree index or size", name);
        return false;
    }
    return true;
}

struct proof_read {
    bool consistency;
    uint64_t a, b;
    struct ps_merkle_proof proof;
    struct ps_diag diag;
};

static enum ps_err proof_tx(struct ps_tx *tx, void *ctx)
{
    struct proof_read *p = ctx;
    if (p->consistency)
        return ps_tlog_consistency(tx, p->a, p->b, &p->proof, &p->diag);
    return ps_tlog_inclusion(tx, p->a, p->b, &p->proof, &p->diag);
}

static enum ps_err hashes_json(struct ps_buf *b, const struct ps_merkle_proof *p)
{
    enum ps_err e = ps_buf_append_cstr(b, "[");
    for (size_t i = 0; i < p->len && e == PS_OK; i++) {
        char h[48];
        ps_tlog_b64(p->h[i].b, PS_HASH_LEN, h, sizeof h);
        e = ps_buf_printf(b, "%s\"%s\"", i ? "," : "", h);
    }
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, "]");
    return e;
}

static void serve_proof(struct ps_req *req, struct proof_read *p)
{
    struct ps_app *app = req->app;
    struct ps_diag d = {0};
    enum ps_err e = ps_store_read(app->store, proof_tx, p, &d);
    if (e != PS_OK) {
        ps_api_fail_job(req, &p->diag, &d, e);
        return;
    }
    struct ps_buf b;
    ps_buf_init(&b, 16384);
    if (p->consistency)
        e = ps_buf_printf(&b, "{\"first\":%" PRIu64 ",\"second\":%" PRIu64 ",\"hashes\":", p->a,
                          p->b);
    else
        e = ps_buf_printf(&b, "{\"index\":%" PRIu64 ",\"size\":%" PRIu64 ",\"hashes\":", p->a,
                          p->b);
    if (e == PS_OK)
        e = hashes_json(&b, &p->proof);
    if (e == PS_OK)
        e = ps_buf_append_cstr(&b, "}");
    if (e == PS_OK) {
        /* a proof between two sizes never changes */
        ps_resp_header(req, "Cache-Control", TILE_CACHE);
        ps_resp_json(req, 200, ps_buf_str(&b));
    } else {
        oom(req);
    }
    ps_buf_reset(&b);
}

void ps_api_log_inclusion(struct ps_req *req)
{
    struct proof_read *p = ps_arena_zalloc(req->arena, sizeof *p);
    if (!p) {
        oom(req);
        return;
    }
    if (query_u64(req, "index", &p->a) && query_u64(req, "size", &p->b))
        serve_proof(req, p);
}

void ps_api_log_consistency(struct ps_req *req)
{
    struct proof_read *p = ps_arena_zalloc(req->arena, sizeof *p);
    if (!p) {
        oom(req);
        return;
    }
    p->consistency = true;
    if (query_u64(req, "first", &p->a) && query_u64(req, "second", &p->b))
        serve_proof(req, p);
}

/* ---- witness cosignatures ---- */

struct cosig_job {
    struct ps_req *req;
    struct ps_store_job job;
    struct ps_str note;
    size_t stored;
    struct ps_diag diag;
};

static enum ps_err cosig_tx(struct ps_tx *tx, void *ctx)
{
    struct cosig_job *c = ctx;
    ps_diag_clear(&c->diag);
    return ps_tlog_add_cosignatures(tx, c->note, &c->stored, &c->diag);
}

static enum ps_err cosig_check_tx(struct ps_tx *tx, void *ctx)
{
    struct cosig_job *c = ctx;
    ps_diag_clear(&c->diag);
    return ps_tlog_check_cosignatures(tx, c->note, &c->diag);
}

static void answer_job_error(struct ps_req *req, const struct ps_store_job *job,
                             const struct ps_diag *domain)
{
    ps_api_fail_job(req, domain, &job->diag, job->result);
}

static void cosig_render(struct ps_req *req)
{
    struct cosig_job *c = req->then_ctx;
    if (c->job.result != PS_OK) {
        answer_job_error(req, &c->job, &c->diag);
        return;
    }
    char *body = ps_arena_printf(req->arena, "{\"stored\":%zu}", c->stored);
    if (body)
        ps_resp_json(req, 200, ps_str_from_cstr(body));
    else
        oom(req);
}

void ps_api_log_cosign(struct ps_req *req)
{
    struct cosig_job *c = ps_arena_zalloc(req->arena, sizeof *c);
    if (!c) {
        oom(req);
        return;
    }
    c->req = req;
    c->note = req->body;
    if (c->note.len == 0) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input",
                        "the body must be a checkpoint note with cosignature lines");
        return;
    }
    /* the endpoint is open to witnesses: check in a read first, so that a note that would be
     * refused never costs a write transaction */
    struct ps_app *app = req->app;
    struct ps_diag d = {0};
    enum ps_err e = ps_store_read(app->store, cosig_check_tx, c, &d);
    if (e != PS_OK) {
        ps_api_fail_job(req, &c->diag, &d, e);
        return;
    }
    ps_api_submit(req, &c->job, c, cosig_tx, cosig_render);
}

/* ---- metrics ---- */

enum ps_err ps_api_log_metrics(struct ps_app *app, struct ps_buf *b)
{
    if (!app->tlog)
        return PS_OK;
    struct ps_tlog_integrator_stats st;
    ps_tlog_integrator_stats(app->tlog, &st);
    return ps_buf_printf(
        b,
        "# HELP pocketstate_tlog_tree_size Leaves in the log after this process's last round.\n"
        "# TYPE pocketstate_tlog_tree_size gauge\n"
        "pocketstate_tlog_tree_size %" PRIu64 "\n"
        "# HELP pocketstate_tlog_appended_total Records this process sequenced into the log.\n"
        "# TYPE pocketstate_tlog_appended_total counter\n"
        "pocketstate_tlog_appended_total %" PRIu64 "\n"
        "# HELP pocketstate_tlog_checkpoints_total Checkpoints this process signed.\n"
        "# TYPE pocketstate_tlog_checkpoints_total counter\n"
        "pocketstate_tlog_checkpoints_total %" PRIu64 "\n"
        "# HELP pocketstate_tlog_round_failures_total Integration rounds that failed (logged).\n"
        "# TYPE pocketstate_tlog_round_failures_total counter\n"
        "pocketstate_tlog_round_failures_total %" PRIu64 "\n",
        st.size, st.appended, st.rounds, st.failures);
}

/* ---- who used my data ---- */

struct who {
    struct ps_req *req;
    struct ps_store_job job;
    struct ps_str rnokpp, before, purpose;
    size_t limit, n;
    struct ps_tlog_subject_row rows[PS_TLOG_PAGE_MAX];
    struct ps_merkle_proof *proofs; /* per row, when sequenced below the checkpoint size */
    uint64_t size;
    struct ps_buf checkpoint;
    struct ps_diag diag;
};

static enum ps_err who_tx(struct ps_tx *tx, void *ctx)
{
    struct who *w = ctx;
    struct ps_actor actor = {PS_ACTOR_ADMIN, PS_STR("local-admin")};
    char *resource = ps_arena_printf(w->req->arena, "persons/%.*s/access-log",
                                     PS_STR_FMT(w->rnokpp));
    ps_diag_clear(&w->diag);
    if (!resource)
        return ps_diag_set(&w->diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = ps_access_record(tx, &actor, "access-log.read", w->rnokpp,
                                     ps_str_from_cstr(resource), w->purpose, &w->diag);
    if (e == PS_OK)
        e = ps_tlog_subject_rows(tx, w->rnokpp, w->before, w->limit, w->req->arena, w->rows,
                                 &w->n);
    return e;
}

static enum ps_err who_proofs_tx(struct ps_tx *tx, void *ctx)
{
    struct who *w = ctx;
    enum ps_err e = ps_tlog_latest(tx, &w->size, &w->checkpoint);
    if (e == PS_ERR_NOTFOUND) {
        w->size = 0;
        return PS_OK;
    }
    for (size_t i = 0; i < w->n && e == PS_OK; i++) {
        w->proofs[i].len = 0;
        if (w->rows[i].sequenced && w->rows[i].index < w->size)
            e = ps_tlog_inclusion(tx, w->rows[i].index, w->size, &w->proofs[i], &w->diag);
    }
    return e;
}

static enum ps_err row_json(struct ps_buf *b, const struct ps_tlog_subject_row *r,
                            const struct ps_merkle_proof *proof, uint64_t size)
{
    char salt[48];
    enum ps_err e = ps_buf_append_cstr(b, "{\"id\":");
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, r->id);
    if (e == PS_OK)
        e = ps_buf_printf(b, ",\"kind\":\"%.*s\",\"time\":\"%.*s\",\"actor\":{\"kind\":\"%.*s\","
                             "\"id\":", PS_STR_FMT(r->kind), PS_STR_FMT(r->time),
                          PS_STR_FMT(r->actor_kind));
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, r->actor_id);
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, "},\"action\":");
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, r->action);
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, ",\"resource\":");
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, r->resource);
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, ",\"purpose\":");
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, r->purpose);
    if (e == PS_OK && r->has_salt) {
        ps_tlog_b64(r->salt, PS_TLOG_SALT_LEN, salt, sizeof salt);
        e = ps_buf_printf(b, ",\"salt\":\"%s\"", salt);
    }
    if (e == PS_OK && r->sequenced) {
        e = ps_buf_printf(b, ",\"index\":%" PRIu64 ",\"entry\":", r->index);
        if (e == PS_OK)
            e = ps_buf_append_json_str(b, r->entry);
    }
    if (e == PS_OK && r->sequenced && r->index < size) {
        e = ps_buf_append_cstr(b, ",\"inclusionProof\":");
        if (e == PS_OK)
            e = hashes_json(b, proof);
    }
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, "}");
    return e;
}

static enum ps_err who_json(struct who *w, struct ps_buf *b)
{
    enum ps_err e = ps_buf_append_cstr(b, "{\"subject\":");
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, w->rnokpp);
    if (e == PS_OK)
        e = ps_buf_printf(b, ",\"treeSize\":%" PRIu64 ",\"checkpoint\":", w->size);
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, ps_buf_str(&w->checkpoint));
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, ",\"entries\":[");
    for (size_t i = 0; i < w->n && e == PS_OK; i++) {
        if (i)
            e = ps_buf_append_cstr(b, ",");
        if (e == PS_OK)
            e = row_json(b, &w->rows[i], &w->proofs[i], w->size);
    }
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, "]");
    if (e == PS_OK && w->n == w->limit) {
        e = ps_buf_append_cstr(b, ",\"next\":");
        if (e == PS_OK)
            e = ps_buf_append_json_str(b, w->rows[w->n - 1].id);
    }
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, "}");
    return e;
}

static void who_render(struct ps_req *req)
{
    struct who *w = req->then_ctx;
    struct ps_app *app = req->app;
    if (w->job.result != PS_OK) {
        answer_job_error(req, &w->job, &w->diag);
        return;
    }
    struct ps_diag d = {0};
    struct ps_buf b;
    ps_buf_init(&w->checkpoint, PS_NOTE_MAX_BYTES);
    ps_buf_init(&b, 4u << 20);
    w->proofs = ps_arena_array(req->arena, w->n ? w->n : 1, sizeof *w->proofs);
    enum ps_err e = w->proofs ? ps_store_read(app->store, who_proofs_tx, w, &d) : PS_ERR_NOMEM;
    if (e == PS_OK)
        e = who_json(w, &b);
    if (e == PS_OK) {
        ps_resp_header(req, "Cache-Control", "no-store");
        ps_resp_json(req, 200, ps_buf_str(&b));
    } else {
        ps_api_fail_job(req, &w->diag, &d, e);
    }
    ps_buf_reset(&b);
    ps_buf_reset(&w->checkpoint);
}

/* Parses limit, before and purpose; false when it has answered 400. */
static bool who_query(struct ps_req *req, struct who *w)
{
    struct ps_str limit = ps_req_query(req, "limit");
    uint64_t l = PAGE_DEFAULT;
    if (limit.p && (ps_str_to_u64(limit, &l) != PS_OK || l < 1 || l > PS_TLOG_PAGE_MAX)) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input",
                        "limit must be between 1 and %d", PS_TLOG_PAGE_MAX);
        return false;
    }
    w->limit = (size_t)l;
    struct ps_uuid u;
    w->before = ps_req_query(req, "before");
    /* ids are stored lower-case and compared as text: the canonical form only */
    bool canonical = w->before.p != NULL;
    for (size_t i = 0; canonical && i < w->before.len; i++)
        canonical = !(w->before.p[i] >= 'A' && w->before.p[i] <= 'F');
    if (w->before.p && (!canonical || !ps_uuid_parse(w->before, &u))) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input",
                        "before must be a record id (a UUID) from a previous page's next");
        return false;
    }
    return ps_api_purpose(req, &w->purpose);
}

void ps_api_person_access_log(struct ps_req *req)
{
    if (!ps_api_require_admin(req))
        return;
    struct who *w = ps_arena_zalloc(req->arena, sizeof *w);
    if (!w) {
        oom(req);
        return;
    }
    w->req = req;
    w->rnokpp = ps_req_param(req, "rnokpp");
    struct ps_diag diag = {0};
    if (ps_rnokpp_validate(w->rnokpp, NULL, &diag) != PS_OK) {
        ps_api_fail(req, &diag);
        return;
    }
    if (!who_query(req, w))
        return;
    ps_api_submit(req, &w->job, w, who_tx, who_render);
}
