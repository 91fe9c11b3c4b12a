/* Population registry routes. The read is a store job because recording the access is a
 * write that must be durable before the data leaves (ARCHITECTURE.md rules 3 and 5): the
 * request is suspended until its group commit lands, then rendered. */
#include <string.h>

#include "api/api_int.h"
#include "core/json.h"
#include "core/buf.h"
#include "registries/persons.h"
#include "registries/rnokpp.h"
#include "registries/translit.h"
#include "store/store.h"
#include "tlog/access.h"


struct person_get {
    struct ps_req *req;
    struct ps_store_job job;
    struct ps_actor actor;
    struct ps_str rnokpp, purpose;
    struct ps_person person;
    struct ps_diag diag; /* the domain's reason, kept apart from the store's summary */
};

static enum ps_err person_get_tx(struct ps_tx *tx, void *ctx)
{
    struct person_get *g = ctx;
    ps_diag_clear(&g->diag); /* the job may run again after a conflict */
    return ps_person_read(tx, &g->actor, g->rnokpp, g->purpose, g->req->arena, &g->person,
                          &g->diag);
}

static void person_get_render(struct ps_req *req)
{
    struct person_get *g = req->then_ctx;
    if (g->job.result != PS_OK) {
        ps_api_fail_job(req, &g->diag, &g->job.diag, g->job.result);
        return;
    }
    struct ps_buf b;
    ps_buf_init(&b, 64u << 10);
    enum ps_err e = ps_person_to_json(&g->person, &b);
    if (e == PS_OK)
        ps_resp_json(req, 200, ps_buf_str(&b));
    else
        ps_resp_problem(req, 500, "internal", "Internal error", "rendering failed");
    ps_buf_reset(&b);
}

void ps_api_person_get(struct ps_req *req)
{
    if (!ps_api_require_admin(req))
        return;
    struct person_get *g = ps_arena_zalloc(req->arena, sizeof *g);
    if (!g) {
        ps_resp_problem(req, 500, "internal", "Internal error", "out of memory");
        return;
    }
    g->req = req;
    g->rnokpp = ps_req_param(req, "rnokpp");
    /* refuse a malformed number before it costs a transaction; the domain checks again */
    struct ps_diag diag = {0};
    if (ps_rnokpp_validate(g->rnokpp, NULL, &diag) != PS_OK) {
        ps_api_fail(req, &diag);
        return;
    }
    if (!ps_api_purpose(req, &g->purpose))
        return;
    g->actor.kind = PS_ACTOR_ADMIN;
    g->actor.id = PS_STR("local-admin");
    ps_api_submit(req, &g->job, g, person_get_tx, person_get_render);
}

/* ---- POST /api/v1/registry/persons: register a person ---- */

#define REGISTER_MAX_DEPTH 3

struct person_post {
    struct ps_req *req;
    struct ps_store_job job;
    struct ps_actor actor;
    struct ps_person person;
    struct ps_str reason;
    struct ps_diag diag;
};

static enum ps_err person_post_tx(struct ps_tx *tx, void *ctx)
{
    struct person_post *g = ctx;
    ps_diag_clear(&g->diag);
    return ps_person_register(tx, &g->actor, &g->person, g->reason, &g->diag);
}

static void person_post_render(struct ps_req *req)
{
    struct person_post *g = req->then_ctx;
    if (g->job.result != PS_OK) {
        ps_api_fail_job(req, &g->diag, &g->job.diag, g->job.result);
        return;
    }
    struct ps_buf b;
    ps_buf_init(&b, 64u << 10);
    char *location = ps_arena_printf(req->arena, "/api/v1/registry/persons/%.*s",
                                     PS_STR_FMT(g->person.rnokpp));
    if (location && ps_person_to_json(&g->person, &b) == PS_OK) {
        ps_resp_header(req, "Location", location);
        ps_resp_json(req, 201, ps_buf_str(&b));
    } else {
        ps_resp_problem(req, 500, "internal", "Internal error", "rendering failed");
    }
    ps_buf_reset(&b);
}

/* A string member: absent or empty is allowed only where `optional`; anything else
 * (a number, an object) is refused naming the field. */
static bool take_str(struct ps_req *req, const json_t *obj, const char *key, bool optional,
                     struct ps_str *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v && optional) {
        *out = PS_STR("");
        return true;
    }
    if (!json_is_string(v)) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input", "%s: %s", key,
                        v ? "must be a string" : "is required");
        return false;
    }
    *out = (struct ps_str){json_string_value(v), json_string_length(v)};
    return true;
}

/* Only known members, so that a misspelt field is an error and not silently dropped. */
static bool known_members(struct ps_req *req, const json_t *obj, const char *const *keys)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], key) != 0)
            i++;
        if (!keys[i]) {
            ps_resp_problem(req, 400, "invalid-input", "Invalid input", "unknown field \"%.64s\"",
                            key);
            return false;
        }
    }
    return true;
}

static bool parse_person(struct ps_req *req, const json_t *root, struct person_post *g)
{
    static const char *const top[] = {"rnokpp", "unzr", "id_card", "surname", "given_name",
                                      "patronymic", "birth_date", "sex", "address", "reason",
                                      NULL};
    static const char *const addr[] = {"oblast", "hromada", "settlement", "street", "building",
                                       NULL};
    struct ps_person *p = &g->person;
    struct ps_str birth, sex;
    if (!json_is_object(root)) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input", "the body must be an object");
        return false;
    }
    const json_t *a = json_object_get(root, "address");
    if (!known_members(req, root, top))
        return false;
    if (!json_is_object(a)) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input", "address: %s",
                        a ? "must be an object" : "is required");
        return false;
    }
    if (!known_members(req, a, addr) || !take_str(req, root, "rnokpp", false, &p->rnokpp) ||
        !take_str(req, root, "unzr", false, &p->unzr) ||
        !take_str(req, root, "id_card", false, &p->id_card) ||
        !take_str(req, root, "surname", false, &p->surname) ||
        !take_str(req, root, "given_name", false, &p->given_name) ||
        !take_str(req, root, "patronymic", true, &p->patronymic) ||
        !take_str(req, root, "birth_date", false, &birth) ||
        !take_str(req, root, "sex", false, &sex) ||
        !take_str(req, root, "reason", false, &g->reason) ||
        !take_str(req, a, "oblast", false, &p->address.oblast) ||
        !take_str(req, a, "hromada", false, &p->address.hromada) ||
        !take_str(req, a, "settlement", false, &p->address.settlement) ||
        !take_str(req, a, "street", false, &p->address.street) ||
        !take_str(req, a, "building", false, &p->address.building))
        return false;
    struct ps_diag d = {0};
    if (ps_date_parse(birth, &p->birth_date, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return false;
    }
    if (!ps_sex_parse(sex, &p->sex)) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input",
                        "sex: must be \"male\" or \"female\"");
        return false;
    }
    p->status = PS_PERSON_ALIVE;
    /* the official Latin spelling (resolution 55 of 2010), as it is stored and returned */
    if (ps_translit_arena(req->arena, p->surname, &p->surname_latin, &d) != PS_OK ||
        ps_translit_arena(req->arena, p->given_name, &p->given_name_latin, &d) != PS_OK ||
        ps_translit_arena(req->arena, p->patronymic, &p->patronymic_latin, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return false;
    }
    /* the whole record is checked here, before it costs a transaction; the domain checks
     * again inside it */
    if (ps_person_validate(p, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return false;
    }
    return true;
}

void ps_api_person_post(struct ps_req *req)
{
    if (!ps_api_require_admin(req))
        return;
    if (!ps_req_content_type_is(req, "application/json")) {
        ps_resp_problem(req, 415, "unsupported-media-type", "Unsupported media type",
                        "the body must be application/json");
        return;
    }
    json_t *root = NULL;
    struct ps_diag d = {0};
    if (ps_json_parse(req->arena, req->body, req->route->max_body, REGISTER_MAX_DEPTH, &root,
                      &d) != PS_OK) {
        if (d.code == PS_ERR_LIMIT)
            ps_resp_problem(req, 400, "limit-exceeded", "Limit exceeded", "%s", d.message);
        else
            ps_resp_problem(req, 400, "malformed-json", "Malformed JSON", "%s", d.message);
        return;
    }
    struct person_post *g = ps_arena_zalloc(req->arena, sizeof *g);
    if (!g) {
        ps_resp_problem(req, 500, "internal", "Internal error", "out of memory");
        return;
    }
    g->req = req;
    if (!parse_person(req, root, g))
        return;
    if (g->reason.len == 0 || g->reason.len > PS_API_PURPOSE_MAX) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input",
                        "reason: the legal basis is required, at most %d bytes",
                        PS_API_PURPOSE_MAX);
        return;
    }
    g->actor.kind = PS_ACTOR_ADMIN;
    g->actor.id = PS_STR("local-admin");
    ps_api_submit(req, &g->job, g, person_post_tx, person_post_render);
}
