/* The public transparency log pages: the current checkpoint with its witnesses' cosignatures
 * and how to verify the log yourself, and one record looked up by its number (a GET form).
 * Everything is read through src/tlog in a read transaction (ps_api_read_or); nothing here
 * reads a person's data, so nothing is recorded. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "portal/portal_int.h"
#include "tlog/checkpoint.h"
#include "tlog/log.h"
#include "tlog/note.h"
#include "tlog/tiles.h"

#define NOTE_MAX (64 * 1024) /* a checkpoint with its cosignatures */

/* A buffer that lives as long as the request. */
static void buf_release(void *b)
{
    ps_buf_reset(b);
}

static struct ps_buf *request_buf(struct ps_req *req, size_t max)
{
    struct ps_buf *b = ps_api_alloc(req, sizeof *b);
    if (!b)
        return NULL;
    ps_buf_init(b, max);
    if (ps_arena_defer(req->arena, buf_release, b) != PS_OK) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return NULL;
    }
    return b;
}

/* The site's address as the verify command needs it: the configured public URL, else what
 * the browser asked for. */
static struct ps_str site_url(struct ps_page *pg)
{
    if (pg->rp)
        return ps_str_from_cstr(pg->rp->url);
    struct ps_str host = ps_req_header(pg->req, "Host");
    char *u = ps_arena_printf(pg->req->arena, "http://%.*s", PS_STR_FMT(host.p ? host : PS_STR("localhost")));
    return ps_str_from_cstr(u);
}

/* ---- the log page ---- */

struct log_view {
    struct ps_page *pg; /* first: ps_page_failed */
    bool has;
    uint64_t size;
    struct ps_buf *note;
    struct ps_note_verifier witnesses[PS_TLOG_MAX_WITNESSES];
    size_t nwitnesses;
};

static enum ps_err log_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct log_view *lv = ctx;
    lv->note->len = 0;
    enum ps_err e = ps_tlog_latest(tx, &lv->size, lv->note);
    lv->has = e == PS_OK;
    if (e != PS_OK && e != PS_ERR_NOTFOUND)
        return e;
    return ps_tlog_witnesses(tx, lv->witnesses, PS_TLOG_MAX_WITNESSES, &lv->nwitnesses, diag);
}

/* The witness rows: each configured witness and its cosignature of this checkpoint. */
static bool witness_rows(struct log_view *lv, const struct ps_note *note,
                         struct ps_tpl_transparency *v)
{
    struct ps_req *req = lv->pg->req;
    struct ps_note_check checks[PS_TLOG_MAX_WITNESSES];
    struct ps_tpl_transparency_witnesses *rows =
        lv->nwitnesses ? ps_api_alloc(req, lv->nwitnesses * sizeof *rows) : NULL;
    if (lv->nwitnesses && !rows)
        return false;
    memset(checks, 0, sizeof checks);
    if (note && ps_note_check(note, lv->witnesses, lv->nwitnesses, checks) != PS_OK)
        memset(checks, 0, sizeof checks);
    for (size_t i = 0; i < lv->nwitnesses; i++) {
        struct ps_buf k;
        ps_buf_init(&k, 1024);
        if (ps_note_verifier_format(&lv->witnesses[i], &k) == PS_OK)
            rows[i].key = ps_arena_str(req->arena, ps_buf_str(&k));
        ps_buf_reset(&k);
        rows[i].cosigned = checks[i].result == PS_NOTE_VALID;
        if (rows[i].cosigned) {
            char *at = ps_arena_alloc(req->arena, PS_I18N_TIME_MAX);
            if (at)
                rows[i].at = (struct ps_str){at, ps_i18n_time(lv->pg->lang,
                                                              (int64_t)checks[i].timestamp, at)};
        }
    }
    v->witnesses = rows;
    v->nwitnesses = lv->nwitnesses;
    return true;
}

static void log_render(struct ps_req *req, void *ctx)
{
    struct log_view *lv = ctx;
    struct ps_app *app = req->app;
    struct ps_tpl_transparency v = {.site_url = site_url(lv->pg)};
    struct ps_note *note = NULL;
    struct ps_checkpoint c;
    struct ps_diag d = {0};
    v.log_key = ps_str_from_cstr(app && app->log_key ? app->log_key : "");
    if (lv->has) {
        note = ps_api_alloc(req, sizeof *note);
        if (!note)
            return;
        if (ps_note_parse(ps_buf_str(lv->note), note, &d) != PS_OK ||
            ps_checkpoint_parse(note->text, &c, &d) != PS_OK) {
            struct ps_diag bad = {0};
            ps_diag_set(&bad, PS_ERR_INTERNAL, "the stored checkpoint does not read: %.200s",
                        d.message);
            ps_page_failed(req, ctx, &bad, NULL, PS_ERR_INTERNAL);
            return;
        }
        char root[64];
        ps_tlog_b64(c.root.b, sizeof c.root.b, root, sizeof root);
        v.has_checkpoint = true;
        v.origin = c.origin;
        v.size = c.size;
        v.root = ps_arena_str(req->arena, ps_str_from_cstr(root));
        v.note = ps_buf_str(lv->note);
    }
    if (witness_rows(lv, note, &v))
        ps_page_send(lv->pg, 200, ps_tpl_transparency_slot(&v));
}

void ps_portal_transparency(struct ps_req *req)
{
    struct log_view *lv = ps_api_alloc(req, sizeof *lv);
    if (!lv)
        return;
    lv->pg = ps_page_new(req, N_("Transparency log"), "/transparency");
    lv->note = lv->pg ? request_buf(req, NOTE_MAX) : NULL;
    if (lv->note)
        ps_api_read_or(req, log_op, lv, log_render, ps_page_failed);
}

/* ---- one record ---- */

static const struct ps_field record_fields[] = {
    {.name = "number", .label = N_("Record number"), .hint = N_("For example, 15"),
     .inputmode = "numeric", .autocomplete = "off", .width = "10", .max_chars = 20,
     .required = N_("Enter a record number"), .spellcheck_off = true},
};

struct record_view {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_form form;
    uint64_t number, size;
    bool beyond;        /* the log is not that long (yet) */
    struct ps_buf *bundle;
    struct ps_str entry;
};

static enum ps_err record_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct record_view *rv = ctx;
    enum ps_err e = ps_tlog_latest(tx, &rv->size, NULL);
    if (e == PS_ERR_NOTFOUND)
        rv->size = 0;
    else if (e != PS_OK)
        return e;
    rv->beyond = rv->number >= rv->size;
    if (rv->beyond)
        return PS_OK;
    struct ps_tile t = {.entries = true, .index = rv->number / PS_TILE_WIDTH};
    t.width = t.index < rv->size / PS_TILE_WIDTH ? PS_TILE_WIDTH
                                                 : (unsigned)(rv->size % PS_TILE_WIDTH);
    rv->bundle->len = 0;
    e = ps_tlog_tile(tx, &t, rv->bundle);
    if (e == PS_ERR_NOTFOUND)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "entries tile %llu missing",
                           (unsigned long long)t.index);
    return e;
}

/* Seconds since the epoch of the entry's "time" (RFC 3339 UTC, as the log writes it: 
 * "2026-12-03T14:05:09.123Z"); 0 when it does not read as that. */
static int64_t entry_time(struct ps_str s)
{
    char head[20];
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s.p || s.len < 20 || s.p[s.len - 1] != 'Z' || ps_str_copy(head, sizeof head,
                                                                  (struct ps_str){s.p, 19}) != PS_OK)
        return 0;
    const char *end = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end)
        return 0;
    return (int64_t)timegm(&tm);
}

static const char *actor_text(struct ps_str kind)
{
    static const struct {
        const char *kind, *text;
    } kinds[] = {
        {"official", N_("An official")},
        {"system", N_("An agency's system")},
        {"admin", N_("The platform's administrator")},
        {"citizen", N_("The person themself")},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (ps_str_eq_cstr(kind, kinds[i].kind))
            return kinds[i].text;
    return N_("Someone else");
}

/* The entry's fields into v; false when it does not read (a broken log: 500). */
static bool entry_fields(struct record_view *rv, struct ps_tpl_record *v)
{
    struct ps_req *req = rv->pg->req;
    struct ps_str entries[PS_TILE_WIDTH];
    size_t count = 0;
    struct ps_diag d = {0};
    json_t *j = NULL;
    if (ps_bundle_parse(ps_buf_str(rv->bundle), entries, PS_TILE_WIDTH, &count, &d) != PS_OK ||
        rv->number % PS_TILE_WIDTH >= count ||
        ps_json_parse(req->arena, entries[rv->number % PS_TILE_WIDTH], PS_TLOG_ENTRY_MAX, 4, &j,
                      &d) != PS_OK)
        return false;
    rv->entry = entries[rv->number % PS_TILE_WIDTH];
    json_t *actor = json_object_get(j, "actor");
    v->at = entry_time(ps_json_get_str(j, "time"));
    v->actor = ps_str_from_cstr(ps_page_t(rv->pg, actor_text(ps_json_get_str(actor, "kind"))));
    v->actor_id = ps_json_get_str(actor, "id");
    struct ps_str role = ps_json_get_str(actor, "role"), agency = ps_json_get_str(actor, "agency");
    if (!v->actor_id.len && role.len) { /* an official is named by role and agency */
        const char *who = ps_arena_printf(req->arena, "%.*s, %.*s", (int)role.len, role.p,
                                          (int)agency.len, agency.p);
        v->actor_id = who ? ps_str_from_cstr(who) : role;
    }
    v->action = ps_json_get_str(j, "action");
    v->commitment = ps_json_get_str(j, "commitment");
    v->entry = rv->entry;
    v->found = true;
    return true;
}

static void record_render(struct ps_req *req, void *ctx)
{
    struct record_view *rv = ctx;
    struct ps_tpl_record v = {0};
    size_t i = ps_form_field(&rv->form, "number");
    char num[PS_I18N_NUM_MAX], size[PS_I18N_NUM_MAX];
    if (rv->beyond) {
        struct ps_i18n_arg args[] = {{"number", {num, ps_i18n_num(rv->pg->lang, rv->number, num)}},
                                     {"size", {size, ps_i18n_num(rv->pg->lang, rv->size, size)}}};
        const char *text = ps_i18n_n(rv->pg->lang,
                                     NN_("There is no record {number} yet: the log holds {size} record",
                                         "There is no record {number} yet: the log holds {size} records"),
                                     rv->size);
        ps_form_error(&rv->form, i, ps_i18n_fill(req->arena, text, args, 2));
    } else if (!entry_fields(rv, &v)) {
        struct ps_diag internal = {.code = PS_ERR_INTERNAL, .message = "unreadable log entry"};
        ps_page_failed(req, ctx, &internal, NULL, PS_ERR_INTERNAL);
        return;
    }
    ps_form_input(&rv->form, i, rv->pg->lang, req->arena, &v.number);
    v.index = (struct ps_str){num, ps_i18n_num(rv->pg->lang, rv->number, num)};
    ps_page_form_errors(rv->pg, &rv->form);
    ps_page_send(rv->pg, rv->form.nerrors ? 400 : 200, ps_tpl_record_slot(&v));
}

/* The form alone (nothing asked yet) or with its errors: no store read. */
static void record_form(struct record_view *rv)
{
    struct ps_tpl_record v = {0};
    ps_form_input(&rv->form, 0, rv->pg->lang, rv->pg->req->arena, &v.number);
    ps_page_form_errors(rv->pg, &rv->form);
    ps_page_send(rv->pg, rv->form.nerrors ? 400 : 200, ps_tpl_record_slot(&v));
}

void ps_portal_record(struct ps_req *req)
{
    struct record_view *rv = ps_api_alloc(req, sizeof *rv);
    if (!rv || !(rv->pg = ps_page_new(req, N_("Look up a record"), "/transparency")))
        return;
    ps_form_init(&rv->form, record_fields, sizeof record_fields / sizeof record_fields[0]);
    if (!ps_page_query_form(rv->pg, &rv->form))
        return;
    if (!rv->form.submitted) {
        record_form(rv);
        return;
    }
    struct ps_str value = rv->form.values[0];
    if (ps_form_check(&rv->form, rv->pg->lang, req->arena) == 0 &&
        ps_str_to_u64(value, &rv->number) != PS_OK)
        ps_form_error(&rv->form, 0, ps_str_from_cstr(ps_page_t(
                                        rv->pg, N_("Enter the record number in digits, like 15"))));
    if (rv->form.nerrors) {
        record_form(rv);
        return;
    }
    rv->bundle = request_buf(req, 256 * (PS_TLOG_ENTRY_MAX + 2));
    if (rv->bundle)
        ps_api_read_or(req, record_op, rv, record_render, ps_page_failed);
}
