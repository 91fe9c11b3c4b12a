/* The API's contracts: the OpenAPI document and the route table describe the same API (every
 * route is documented and every documented operation is served), and every error becomes the
 * problem type docs/problems.md promises. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/render.h"
#include "core/arena.h"
#include "policy/policy.h"
#include "registries/population.h"

static json_t *load_doc(void)
{
    struct ps_str doc = ps_api_openapi();
    json_error_t err;
    json_t *root = json_loadb(doc.p, doc.len, JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(root, "openapi.json does not parse: %s (line %d)", err.text, err.line);
    return root;
}

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a' : in[i]);
    out[i] = '\0';
}

Test(openapi, is_openapi_3_1)
{
    json_t *root = load_doc();
    const char *v = json_string_value(json_object_get(root, "openapi"));
    cr_assert_not_null(v);
    cr_assert(strncmp(v, "3.1.", 4) == 0, "openapi version is %s", v);
    json_decref(root);
}

Test(openapi, every_route_is_documented)
{
    json_t *root = load_doc();
    json_t *paths = json_object_get(root, "paths");
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    cr_assert_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        char method[16];
        lower(routes[i].method, method, sizeof method);
        json_t *item = json_object_get(paths, routes[i].pattern);
        cr_expect_not_null(item, "route %s %s is not in openapi.json", routes[i].method,
                           routes[i].pattern);
        if (item)
            cr_expect_not_null(json_object_get(item, method),
                               "route %s %s: method missing in openapi.json",
                               routes[i].method, routes[i].pattern);
    }
    json_decref(root);
}

Test(openapi, every_documented_operation_is_served)
{
    static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head",
                                          "options", "trace"};
    json_t *root = load_doc();
    json_t *paths = json_object_get(root, "paths");
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item) {
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            if (!json_object_get(item, methods[m]))
                continue;
            int found = 0;
            for (size_t i = 0; i < n && !found; i++) {
                char method[16];
                lower(routes[i].method, method, sizeof method);
                found = strcmp(routes[i].pattern, path) == 0 && strcmp(method, methods[m]) == 0;
            }
            cr_expect(found, "openapi.json documents %s %s but no route serves it", methods[m],
                      path);
        }
    }
    json_decref(root);
}

Test(openapi, security_matches_the_route_credentials)
{
    /* a public route declares "security": [] (no credential); any other names its scheme */
    json_t *root = load_doc();
    json_t *paths = json_object_get(root, "paths");
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        char method[16];
        lower(routes[i].method, method, sizeof method);
        json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), method);
        json_t *sec = json_object_get(op, "security");
        cr_expect(json_is_array(sec), "%s %s needs a security entry", routes[i].method,
                  routes[i].pattern);
        if (routes[i].creds == 0)
            cr_expect_eq(json_array_size(sec), 0, "%s %s is public: security must be []",
                         routes[i].method, routes[i].pattern);
        else
            cr_expect_gt(json_array_size(sec), 0, "%s %s needs credentials",
                         routes[i].method, routes[i].pattern);
    }
    json_decref(root);
}

/* ---- the route table is the contract (ARCHITECTURE rule 9) ---- */

Test(routes, every_action_has_a_policy_and_public_means_no_credentials)
{
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        bool public = false;
        cr_expect(routes[i].action && ps_policy_known(routes[i].action, &public),
                  "%s %s: action %s has no policy rule", routes[i].method, routes[i].pattern,
                  routes[i].action ? routes[i].action : "(none)");
        cr_expect_eq(public, routes[i].creds == 0,
                     "%s %s: a route is public exactly when its action is", routes[i].method,
                     routes[i].pattern);
    }
}

static int handler_runs;
static void counting_handler(struct ps_req *req)
{
    handler_runs++;
    ps_resp_json(req, 200, PS_STR("{}"));
}

/* Every route through the dispatcher with no credential at all: a non-public one answers
 * 401 with WWW-Authenticate and never reaches its handler; a public one reaches it. (The HTTP
 * suite sends wrong credentials to every route of the running server.) */
Test(routes, dispatcher_refuses_missing_credentials_on_every_non_public_route)
{
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    struct ps_app app;
    memset(&app, 0, sizeof app);
    for (size_t i = 0; i < n; i++) {
        struct ps_route r = routes[i];
        r.fn = counting_handler;
        struct ps_req req;
        memset(&req, 0, sizeof req);
        req.arena = ps_arena_new(1 << 16);
        ps_buf_init(&req.out, 1 << 16);
        req.app = &app;
        req.route = &r;
        handler_runs = 0;
        ps_api_dispatch(&req);
        if (r.creds) {
            cr_expect_eq(req.status, 401, "%s %s", r.method, r.pattern);
            cr_expect_eq(handler_runs, 0, "%s %s ran its handler", r.method, r.pattern);
            bool www = false;
            for (size_t h = 0; h < req.nhdrs; h++)
                www = www || ps_str_eq_cstr(req.hdr_names[h], "WWW-Authenticate");
            cr_expect(www, "%s %s: no WWW-Authenticate", r.method, r.pattern);
        } else {
            cr_expect_eq(handler_runs, 1, "%s %s is public", r.method, r.pattern);
            const struct ps_actor *a = ps_api_actor(&req);
            cr_expect_eq(a->kind, PS_ACTOR_ANONYMOUS);
        }
        ps_buf_reset(&req.out);
        ps_arena_free(req.arena);
    }
}

/* ---- the person's JSON and the registration body ---- */

Test(person, json_has_the_stable_fields_in_utf8)
{
    struct ps_population *pop = NULL;
    cr_assert_eq(ps_population_new(5, &pop, NULL), PS_OK);
    struct ps_person p;
    cr_assert_eq(ps_population_next(pop, &p), PS_OK);
    struct ps_buf b;
    ps_buf_init(&b, 4096);
    struct ps_jw w;
    ps_jw_init(&w, &b);
    ps_api_person_json(&w, &p);
    cr_assert_eq(ps_jw_end(&w), PS_OK);
    json_error_t err;
    json_t *j = json_loadb(b.p, b.len, 0, &err);
    cr_assert(j, "%s: %s", err.text, b.p);
    const char *keys[] = {"rnokpp", "unzr", "surname", "given_name", "patronymic",
                          "surname_latin", "given_name_latin", "patronymic_latin",
                          "birth_date", "sex", "id_card", "status"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_assert(json_is_string(json_object_get(j, keys[i])), "%s", keys[i]);
    cr_assert_str_eq(json_string_value(json_object_get(j, "rnokpp")), p.rnokpp.p);
    json_t *a = json_object_get(j, "address");
    cr_assert(json_is_object(a));
    cr_assert_eq(json_object_size(a), 5);
    cr_assert_eq(strlen(json_string_value(json_object_get(j, "birth_date"))), 10);
    /* Ukrainian text as UTF-8, never \u escapes */
    cr_assert_null(strstr(b.p, "\\u"), "%s", b.p);
    cr_assert_not_null(memmem(b.p, b.len, p.surname.p, p.surname.len));
    json_decref(j);
    ps_buf_reset(&b);
    ps_population_free(pop);
}

/* The mapped strings borrow from the parsed body: kept until the test ends. */
static json_t *bodies[16];
static size_t nbodies;

static enum ps_err map_body(const char *text, struct ps_person *p, struct ps_str *reason,
                            struct ps_diag *d)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(j, "%s", err.text);
    cr_assert_lt(nbodies, sizeof bodies / sizeof bodies[0]);
    bodies[nbodies++] = j;
    memset(d, 0, sizeof *d);
    return ps_api_person_from_json(j, p, reason, d);
}

static void free_bodies(void)
{
    while (nbodies > 0)
        json_decref(bodies[--nbodies]);
}

#define BODY_ADDR "\"address\":{\"oblast\":\"o\",\"hromada\":\"h\",\"settlement\":\"s\"," \
                  "\"street\":\"st\",\"building\":\"1\"}"
#define BODY_TOP "\"rnokpp\":\"3443818003\",\"unzr\":\"u\",\"id_card\":\"123456789\"," \
                 "\"surname\":\"Шевченко\",\"given_name\":\"Тарас\",\"birth_date\":\"1994-04-14\"," \
                 "\"sex\":\"male\",\"reason\":\"law 1\""

Test(person, registration_body_maps_by_table_and_refuses_each_shape_error, .fini = free_bodies)
{
    struct ps_person p;
    struct ps_str reason;
    struct ps_diag d;
    cr_assert_eq(map_body("{" BODY_TOP "," BODY_ADDR "}", &p, &reason, &d), PS_OK, "%s",
                 d.message);
    cr_assert(ps_str_eq_cstr(p.surname, "Шевченко"));
    cr_assert(ps_str_eq_cstr(p.address.building, "1"));
    cr_assert(ps_str_eq_cstr(reason, "law 1"));
    cr_assert_eq(p.patronymic.len, 0, "patronymic is optional");
    cr_assert_eq(p.birth_date.year, 1994);
    static const struct {
        const char *body, *want;
    } bad[] = {
        {"[]", "the body must be an object"},
        {"{" BODY_TOP "}", "address: is required"},
        {"{" BODY_TOP ",\"address\":1}", "address: must be an object"},
        {"{" BODY_TOP "," BODY_ADDR ",\"x\":1}", "unknown field \"x\""},
        {"{\"rnokpp\":1," BODY_ADDR "}", "rnokpp: must be a string"},
        {"{" BODY_TOP ",\"address\":{\"oblast\":\"o\"}}", "address.hromada: is required"},
        {"{" BODY_TOP ",\"address\":{\"zip\":\"1\"}}", "unknown field \"zip\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(map_body(bad[i].body, &p, &reason, &d), PS_ERR_INVALID, "%s", bad[i].body);
        cr_expect(strstr(d.message, bad[i].want), "%s: got %s", bad[i].want, d.message);
    }
    char body[1024];
    snprintf(body, sizeof body, "{%s,%s}", BODY_ADDR, BODY_TOP);
    char *sex = strstr(body, "\"male\"");
    memcpy(sex, "\"mal\" ", 6);
    cr_expect_eq(map_body(body, &p, &reason, &d), PS_ERR_INVALID);
    cr_expect(strstr(d.message, "sex"), "%s", d.message);
}

/* ---- error -> problem mapping (ARCHITECTURE rule 6: a precise, stable type) ---- */

struct answer {
    int status;
    char type[128], detail[512];
    bool retry_after;
};

enum via { VIA_FAIL, VIA_STORE, VIA_JOB_DOMAIN, VIA_JOB_STORE };

static struct answer answer_for(enum via via, enum ps_err code, const char *message)
{
    struct ps_req req;
    memset(&req, 0, sizeof req);
    req.arena = ps_arena_new(1 << 16);
    cr_assert_not_null(req.arena);
    ps_buf_init(&req.out, 1 << 16);
    cr_assert_eq(ps_str_copy(req.request_id, sizeof req.request_id, PS_STR("req-1")), PS_OK);
    struct ps_diag d = {code, ""}, none = {PS_OK, ""};
    snprintf(d.message, sizeof d.message, "%s", message);
    switch (via) {
    case VIA_FAIL:
        ps_api_fail(&req, &d);
        break;
    case VIA_STORE:
        ps_api_fail_store(&req, &d);
        break;
    case VIA_JOB_DOMAIN: /* the domain's reason wins over the store's summary */
        ps_api_fail_job(&req, &d, &none, code);
        break;
    case VIA_JOB_STORE: /* no domain reason: the job's result alone */
        ps_api_fail_job(&req, &none, &none, code);
        break;
    }
    struct answer a = {.status = req.status};
    json_error_t err;
    json_t *j = json_loadb(req.out.p, req.out.len, 0, &err);
    cr_assert_not_null(j, "%s", err.text);
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    cr_assert_not_null(type);
    const char *slash = strrchr(type, '/');
    snprintf(a.type, sizeof a.type, "%s", slash ? slash + 1 : type);
    snprintf(a.detail, sizeof a.detail, "%s", detail ? detail : "");
    cr_assert_eq(json_integer_value(json_object_get(j, "status")), req.status);
    for (size_t i = 0; i < req.nhdrs; i++)
        if (ps_str_eq_cstr(req.hdr_names[i], "Retry-After"))
            a.retry_after = true;
    json_decref(j);
    ps_buf_reset(&req.out);
    ps_arena_free(req.arena);
    return a;
}

Test(problems, domain_errors_map_to_stable_types)
{
    static const struct {
        enum ps_err code;
        int status;
        const char *type;
        bool retry_after;
    } want[] = {
        {PS_ERR_INVALID, 400, "invalid-input", false},
        {PS_ERR_LIMIT, 400, "limit-exceeded", false},
        {PS_ERR_NOTFOUND, 404, "not-found", false},
        {PS_ERR_EXISTS, 409, "conflict", false},
        {PS_ERR_DENIED, 403, "forbidden", false},
        {PS_ERR_UNAVAILABLE, 503, "store-unavailable", true},
        {PS_ERR_CONFLICT, 503, "busy", true},
        {PS_ERR_UNKNOWN_OUTCOME, 503, "outcome-unknown", false},
        {PS_ERR_STORE, 500, "internal", false},
        {PS_ERR_INTERNAL, 500, "internal", false},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        static const enum via vias[] = {VIA_FAIL, VIA_JOB_DOMAIN};
        for (size_t v = 0; v < 2; v++) {
            struct answer a = answer_for(vias[v], want[i].code, "the reason");
            cr_assert_eq(a.status, want[i].status, "%s", ps_err_name(want[i].code));
            cr_assert_str_eq(a.type, want[i].type, "%s", ps_err_name(want[i].code));
            cr_assert_eq(a.retry_after, want[i].retry_after, "%s", ps_err_name(want[i].code));
            if (want[i].status < 500) /* the domain's reason is the client's to read */
                cr_assert_str_eq(a.detail, "the reason");
            else
                cr_assert_null(strstr(a.detail, "the reason"), "%s", a.detail);
        }
    }
}

Test(problems, store_errors_never_leak_and_unknown_outcome_is_not_retryable)
{
    /* a constraint the store reports around a job is an internal matter, not a 409 */
    struct answer a = answer_for(VIA_STORE, PS_ERR_EXISTS, "UNIQUE constraint failed: t.x");
    cr_assert_eq(a.status, 500);
    cr_assert_str_eq(a.type, "internal");
    cr_assert_null(strstr(a.detail, "UNIQUE"), "%s", a.detail);
    a = answer_for(VIA_JOB_STORE, PS_ERR_UNKNOWN_OUTCOME, "");
    cr_assert_eq(a.status, 503);
    cr_assert_str_eq(a.type, "outcome-unknown");
    cr_assert(!a.retry_after, "a blind retry could apply the write twice");
    cr_assert(strstr(a.detail, "read the resource before retrying"), "%s", a.detail);
    a = answer_for(VIA_JOB_STORE, PS_ERR_UNAVAILABLE, "");
    cr_assert_eq(a.status, 503);
    cr_assert_str_eq(a.type, "store-unavailable");
    cr_assert(a.retry_after);
}

/* ---- every route x every kind of caller: exactly the allowed set (issue 9) ---- */

enum who {
    W_ANON,      /* nobody signed in */
    W_SELF,      /* a citizen, about their own data */
    W_OTHER,     /* a citizen, about someone else's */
    W_OFF_IN,    /* an official whose role and oblast fit */
    W_OFF_OUT,   /* the same role in another oblast */
    W_CLIENT,    /* an agency system with the scope */
    W_CLIENT_NO, /* one without it */
    W_ADMIN,     /* the local admin */
    NWHO
};
#define ALL ((1u << NWHO) - 1)
#define B(w) (1u << (w))

/* Who may perform each action, written down independently of src/policy/policy.c. A route
 * whose action is missing here fails: a new route states who may call it, in this table. The
 * official's role is the one the action names (see role_for). */
static const struct {
    const char *action;
    unsigned allowed;
} expected[] = {
    {"system.read", ALL},
    {"log.read", ALL},
    {"log.cosign", ALL},
    {"agency.list", ALL},
    {"auth.enrol", ALL},
    {"auth.signin", ALL},
    {"person.read", B(W_SELF) | B(W_OFF_IN) | B(W_CLIENT) | B(W_ADMIN)},
    {"person.register", B(W_OFF_IN) | B(W_ADMIN)},
    {"access-log.read", B(W_SELF) | B(W_OFF_IN) | B(W_ADMIN)},
    {"activation-code.issue", B(W_OFF_IN) | B(W_ADMIN)},
    {"me.read", B(W_SELF) | B(W_OTHER) | B(W_OFF_IN) | B(W_OFF_OUT)},
    {"me.write", B(W_SELF) | B(W_OTHER) | B(W_OFF_IN) | B(W_OFF_OUT)},
    {"role.list", B(W_OFF_IN) | B(W_OFF_OUT) | B(W_ADMIN)},
    {"role.grant", B(W_OFF_IN) | B(W_OFF_OUT) | B(W_ADMIN)},
    {"role.revoke", B(W_OFF_IN) | B(W_OFF_OUT) | B(W_ADMIN)},
    {"client.list", B(W_ADMIN)},
    {"client.add", B(W_ADMIN)},
    {"client.remove", B(W_ADMIN)},
    {"document.own.read", B(W_SELF) | B(W_OTHER) | B(W_OFF_IN) | B(W_OFF_OUT)},
    {"document.own.write", B(W_SELF) | B(W_OTHER) | B(W_OFF_IN) | B(W_OFF_OUT)},
    {"document.list", B(W_SELF) | B(W_OFF_IN) | B(W_CLIENT) | B(W_ADMIN)},
    /* W_CLIENT_NO holds documents:verify (and not registry:read) */
    {"document.share.redeem", B(W_OFF_IN) | B(W_CLIENT_NO) | B(W_ADMIN)},
    {"document.share.redeem-public", ALL},
    {"document.status.change", B(W_OFF_IN) | B(W_ADMIN)},
    {"document.public", ALL},
    /* public services: the catalogue is public; applications are a signed-in person's (the
     * engine decides whose); deciding needs the step's role, the calendar a registrar */
    {"service.list", ALL},
    {"application.read", B(W_SELF) | B(W_OTHER) | B(W_OFF_IN) | B(W_OFF_OUT)},
    {"application.write", B(W_SELF) | B(W_OTHER) | B(W_OFF_IN) | B(W_OFF_OUT)},
    {"task.decide", B(W_OFF_IN)},
    {"slot.add", B(W_OFF_IN)},
};

/* The role an official needs for the action (agency pfu, oblast Lviv). */
static const char *role_for(const char *action)
{
    if (strncmp(action, "role.", 5) == 0)
        return "agency-admin"; /* oblast-scoped, but roles are the agency's, not a person's */
    if (strcmp(action, "access-log.read") == 0)
        return "auditor";
    if (strcmp(action, "person.register") == 0 || strcmp(action, "document.status.change") == 0 ||
        strcmp(action, "task.decide") == 0 || strcmp(action, "slot.add") == 0)
        return "registrar";
    return "clerk";
}

static bool allowed(enum who w, const char *action)
{
    static const struct ps_str self = PS_STR("3443818003"), other = PS_STR("3168918013");
    struct ps_role role = {ps_str_from_cstr(role_for(action)), PS_STR("pfu"),
                           PS_STR("Львівська область")};
    struct ps_actor a = {.kind = PS_ACTOR_CITIZEN, .id = self};
    struct ps_resource res = {.owner = other, .oblast = PS_STR("Львівська область"),
                              .agency = PS_STR("pfu")};
    switch (w) {
    case W_ANON:
        a.kind = PS_ACTOR_ANONYMOUS;
        break;
    case W_SELF:
        res.owner = self;
        break;
    case W_OTHER:
        break;
    case W_OFF_IN:
    case W_OFF_OUT:
        a.id = PS_STR("2930818006");
        a.roles = &role;
        a.nroles = 1;
        if (w == W_OFF_OUT)
            res.oblast = PS_STR("м. Київ");
        break;
    case W_CLIENT:
    case W_CLIENT_NO:
        a.kind = PS_ACTOR_SYSTEM;
        a.id = PS_STR("bank-1");
        a.scopes = w == W_CLIENT ? PS_SCOPE_REGISTRY_READ : PS_SCOPE_DOCUMENTS_VERIFY;
        break;
    case W_ADMIN:
        a.kind = PS_ACTOR_ADMIN;
        a.id = PS_STR("local-admin");
        break;
    case NWHO:
        break;
    }
    if (strncmp(action, "role.", 5) == 0 && (w == W_OFF_IN || w == W_OFF_OUT))
        res.oblast = PS_STR_NULL; /* a role listing names an agency, not a person */
    struct ps_decision d;
    ps_policy_decide(&a, action, &res, &d);
    return d.allow;
}

Test(routes, every_route_times_every_caller_is_exactly_the_allowed_set)
{
    static const char *const names[NWHO] = {"anonymous", "citizen self", "citizen other",
                                           "official in scope", "official out of scope",
                                           "client with scope", "client without",
                                           "admin"};
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < sizeof expected / sizeof expected[0] &&
               strcmp(expected[k].action, routes[i].action) != 0)
            k++;
        cr_expect_lt(k, sizeof expected / sizeof expected[0],
                     "%s %s: action %s has no expected set in this test", routes[i].method,
                     routes[i].pattern, routes[i].action);
        if (k == sizeof expected / sizeof expected[0])
            continue;
        for (enum who w = 0; w < NWHO; w++) {
            bool want = (expected[k].allowed >> w) & 1;
            cr_expect_eq(allowed(w, routes[i].action), want, "%s %s (%s): %s should be %s",
                         routes[i].method, routes[i].pattern, routes[i].action, names[w],
                         want ? "allowed" : "denied");
        }
    }
}
