/* Transparency log routes: the C2SP checkpoint and tiles at the server root (what standard
 * tlog clients fetch), the log's verifier key, proof conveniences and witness cosignature
 * submission. Reads run in ps_store_read; the cosignatures are a store job, the request
 * suspended until they commit. All SQL is in src/tlog/log.c. */
#include <inttypes.h>
#include <string.h>

#include "api/api_int.h"
#include "api/render.h"
#include "core/buf.h"
#include "store/store.h"
#include "tlog/integrator.h"
#include "tlog/log.h"

#define TILE_CACHE "public, max-age=31536000, immutable"

/* ---- checkpoint ---- */

static enum ps_err latest_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    uint64_t size;
    enum ps_err e = ps_tlog_latest(tx, &size, ctx);
    if (e == PS_ERR_NOTFOUND)
        ps_diag_set(diag, e, "the log has no checkpoint yet");
    return e;
}

static void latest_render(struct ps_req *req, void *ctx)
{
    ps_resp_header(req, "Cache-Control", "no-cache");
    ps_resp_ready(req, 200, "text/plain; charset=utf-8");
}

void ps_api_log_checkpoint(struct ps_req *req)
{
    ps_api_read(req, latest_op, ps_resp_body(req), latest_render);
}

/* ---- tiles ---- */

struct tile_read {
    struct ps_tile tile;
    const char *path;
    struct ps_buf *out; /* the response body */
};

static enum ps_err tile_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct tile_read *t = ctx;
    enum ps_err e = ps_tlog_tile(tx, &t->tile, t->out);
    if (e == PS_ERR_NOTFOUND)
        ps_diag_set(diag, e, "%s is not part of the latest checkpoint", t->path);
    return e;
}

static void tile_render(struct ps_req *req, void *ctx)
{
    ps_resp_header(req, "Cache-Control", TILE_CACHE);
    ps_resp_ready(req, 200, "application/octet-stream");
}

static void serve_tile(struct ps_req *req, const char *path)
{
    struct tile_read *t = ps_api_alloc(req, sizeof *t);
    struct ps_diag d = {0};
    if (!t)
        return;
    if (!path) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return;
    }
    if (ps_tile_parse(ps_str_from_cstr(path), &t->tile, &d) != PS_OK) {
        ps_api_invalid(req, "%s", d.message);
        return;
    }
    t->path = path;
    t->out = ps_resp_body(req);
    ps_api_read(req, tile_op, t, tile_render);
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
    if (ps_buf_printf(ps_resp_body(req), "%s\n", app->log_key) != PS_OK) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return;
    }
    ps_resp_header(req, "Cache-Control", "public, max-age=3600");
    ps_resp_ready(req, 200, "text/plain; charset=utf-8");
}

/* ---- proofs ---- */

/* A required unsigned query parameter; false when it has answered 400. */
static bool query_u64(struct ps_req *req, const char *name, uint64_t *out)
{
    struct ps_str v = ps_req_query(req, name);
    if (!v.p || ps_str_to_u64(v, out) != PS_OK || *out > INT64_MAX) {
        ps_api_invalid(req, "query parameter %s must be a decimal tree index or size", name);
        return false;
    }
    return true;
}

struct proof_read {
    bool consistency;
    uint64_t a, b;
    struct ps_merkle_proof proof;
};

static enum ps_err proof_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct proof_read *p = ctx;
    if (p->consistency)
        return ps_tlog_consistency(tx, p->a, p->b, &p->proof, diag);
    return ps_tlog_inclusion(tx, p->a, p->b, &p->proof, diag);
}

static void proof_render(struct ps_req *req, void *ctx)
{
    struct proof_read *p = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_kuint(&w, p->consistency ? "first" : "index", p->a);
    ps_jw_kuint(&w, p->consistency ? "second" : "size", p->b);
    ps_jw_key(&w, "hashes");
    ps_api_hashes_json(&w, &p->proof);
    ps_jw_obj_end(&w);
    /* a proof between two sizes never changes */
    ps_resp_header(req, "Cache-Control", TILE_CACHE);
    ps_api_json_end(req, &w, 200);
}

void ps_api_log_inclusion(struct ps_req *req)
{
    struct proof_read *p = ps_api_alloc(req, sizeof *p);
    if (p && query_u64(req, "index", &p->a) && query_u64(req, "size", &p->b))
        ps_api_read(req, proof_op, p, proof_render);
}

void ps_api_log_consistency(struct ps_req *req)
{
    struct proof_read *p = ps_api_alloc(req, sizeof *p);
    if (!p)
        return;
    p->consistency = true;
    if (query_u64(req, "first", &p->a) && query_u64(req, "second", &p->b))
        ps_api_read(req, proof_op, p, proof_render);
}

/* ---- witness cosignatures ---- */

struct cosig {
    struct ps_str note;
    size_t stored;
};

static enum ps_err cosig_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct cosig *c = ctx;
    return ps_tlog_add_cosignatures(tx, c->note, &c->stored, diag);
}

static void cosig_render(struct ps_req *req, void *ctx)
{
    struct cosig *c = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_kuint(&w, "stored", c->stored);
    ps_jw_obj_end(&w);
    ps_api_json_end(req, &w, 200);
}

static enum ps_err cosig_check_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct cosig *c = ctx;
    return ps_tlog_check_cosignatures(tx, c->note, diag);
}

/* The note passed the read-only check: only an acceptable one costs a write. */
static void cosig_checked(struct ps_req *req, void *ctx)
{
    ps_api_write(req, cosig_op, ctx, cosig_render);
}

void ps_api_log_cosign(struct ps_req *req)
{
    struct cosig *c = ps_api_alloc(req, sizeof *c);
    if (!c)
        return;
    c->note = req->body;
    if (c->note.len == 0) {
        ps_api_invalid(req, "the body must be a checkpoint note with cosignature lines");
        return;
    }
    /* the endpoint is open to witnesses: check in a read first, so that a note that would be
     * refused never costs a write transaction */
    ps_api_read(req, cosig_check_op, c, cosig_checked);
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
