/* Registry acts an outcome may name (writes.h): each reads its arguments from a JSON object
 * and calls the registry's own function, so its rules (status checks, the one-active indexes,
 * kinship) hold and its change entries are written. */
#include "engine/writes.h"

#include <string.h>

#include "registries/business.h"
#include "registries/civil.h"
#include "registries/idp.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
static const char *const none[] = {NULL};

static const struct ps_engine_write_spec specs[] = {
    {"sole-proprietor.register", ARGS("rnokpp", "kveds", "tax_system"),
     ARGS("email", "phone"),
     "a sole-proprietor registration: activities (the main one first), tax system, contacts"},
    {"idp.register",
     ARGS("rnokpp", "from_hromada", "from_address", "current_address", "territory_status",
          "aid_eligible"),
     ARGS("with_parent"), "an internally displaced person's registration"},
    {"marriage.register", ARGS("a", "b", "surname_a", "surname_b"), none,
     "a marriage, and the surname each spouse chose"},
};

const struct ps_engine_write_spec *ps_engine_write_spec(const char *act)
{
    for (size_t i = 0; act && i < sizeof specs / sizeof specs[0]; i++)
        if (strcmp(specs[i].act, act) == 0)
            return &specs[i];
    return NULL;
}

const struct ps_engine_write_spec *ps_engine_write_specs(size_t *n)
{
    *n = sizeof specs / sizeof specs[0];
    return specs;
}

bool ps_engine_write_has_arg(const struct ps_engine_write_spec *spec, struct ps_str name)
{
    for (size_t i = 0; spec->required[i]; i++)
        if (ps_str_eq_cstr(name, spec->required[i]))
            return true;
    for (size_t i = 0; spec->optional[i]; i++)
        if (ps_str_eq_cstr(name, spec->optional[i]))
            return true;
    return false;
}

static enum ps_err str_arg(json_t *args, const char *name, bool required, struct ps_str *out,
                           struct ps_diag *diag)
{
    json_t *v = json_object_get(args, name);
    *out = PS_STR("");
    if (!v || json_is_null(v)) {
        if (required)
            return ps_diag_set(diag, PS_ERR_INVALID, "argument %s is missing", name);
        return PS_OK;
    }
    if (!json_is_string(v))
        return ps_diag_set(diag, PS_ERR_INVALID, "argument %s must be a string", name);
    *out = (struct ps_str){json_string_value(v), json_string_length(v)};
    return PS_OK;
}

static json_t *with_id(const char *id)
{
    return json_pack("{s:s}", "id", id);
}

static enum ps_err fop(struct ps_tx *tx, const struct ps_actor *actor, json_t *args,
                       struct ps_str reason, json_t **result, struct ps_diag *refused,
                       struct ps_diag *diag)
{
    struct ps_str rnokpp, kv[PS_SOLE_PROPRIETOR_KVEDS_MAX];
    struct ps_sole_proprietor_details d = {.kveds = kv};
    json_t *list = json_object_get(args, "kveds"), *k;
    size_t i;
    enum ps_err e = str_arg(args, "rnokpp", true, &rnokpp, diag);
    if (e == PS_OK)
        e = str_arg(args, "tax_system", true, &d.tax_system, diag);
    if (e == PS_OK)
        e = str_arg(args, "email", false, &d.email, diag);
    if (e == PS_OK)
        e = str_arg(args, "phone", false, &d.phone, diag);
    if (e == PS_OK && (!json_is_array(list) || json_array_size(list) == 0 ||
                       json_array_size(list) > PS_SOLE_PROPRIETOR_KVEDS_MAX))
        e = ps_diag_set(diag, PS_ERR_INVALID, "kveds must be a list of 1 to %d codes",
                        PS_SOLE_PROPRIETOR_KVEDS_MAX);
    json_array_foreach(list, i, k) {
        if (e == PS_OK && !json_is_string(k))
            e = ps_diag_set(diag, PS_ERR_INVALID, "kveds must hold strings");
        if (e == PS_OK)
            kv[d.nkveds++] = (struct ps_str){json_string_value(k), json_string_length(k)};
    }
    char id[37];
    if (e == PS_OK) /* with its details in one act: the extract is issued once, with them */
        e = ps_sole_proprietor_register_with(tx, actor, rnokpp, &d, reason, id, refused, diag);
    if (e == PS_OK && refused->code == PS_OK && result)
        *result = with_id(id);
    return e;
}

static enum ps_err idp(struct ps_tx *tx, const struct ps_actor *actor, json_t *args,
                       struct ps_str reason, json_t **result, struct ps_diag *refused,
                       struct ps_diag *diag)
{
    struct ps_idp_registration r = {0};
    json_t *aid = json_object_get(args, "aid_eligible");
    enum ps_err e = str_arg(args, "rnokpp", true, &r.rnokpp, diag);
    if (e == PS_OK)
        e = str_arg(args, "with_parent", false, &r.with_parent, diag);
    if (e == PS_OK)
        e = str_arg(args, "from_hromada", true, &r.from_hromada, diag);
    if (e == PS_OK)
        e = str_arg(args, "from_address", true, &r.from_address, diag);
    if (e == PS_OK)
        e = str_arg(args, "current_address", true, &r.current_address, diag);
    if (e == PS_OK)
        e = str_arg(args, "territory_status", true, &r.territory_status, diag);
    if (e == PS_OK && !json_is_boolean(aid))
        e = ps_diag_set(diag, PS_ERR_INVALID, "argument aid_eligible must be true or false");
    r.aid_eligible = json_is_true(aid);
    char id[37];
    if (e == PS_OK)
        e = ps_idp_register(tx, actor, &r, reason, id, refused, diag);
    if (e == PS_OK && refused->code == PS_OK && result)
        *result = with_id(id);
    return e;
}

static enum ps_err marriage(struct ps_tx *tx, const struct ps_actor *actor, json_t *args,
                            struct ps_str reason, json_t **result, struct ps_diag *refused,
                            struct ps_diag *diag)
{
    struct ps_str a, b, sa, sb;
    enum ps_err e = str_arg(args, "a", true, &a, diag);
    if (e == PS_OK)
        e = str_arg(args, "b", true, &b, diag);
    if (e == PS_OK)
        e = str_arg(args, "surname_a", true, &sa, diag);
    if (e == PS_OK)
        e = str_arg(args, "surname_b", true, &sb, diag);
    char id[37];
    if (e == PS_OK) /* with the surnames in one act: the certificates are issued once */
        e = ps_marriage_register_named(tx, actor, a, b, sa, sb, reason, id, refused, diag);
    if (e == PS_OK && refused->code == PS_OK && result)
        *result = with_id(id);
    return e;
}

enum ps_err ps_engine_write_run(struct ps_tx *tx, const struct ps_actor *actor, const char *act,
                                json_t *args, struct ps_str reason, json_t **result,
                                struct ps_diag *refused, struct ps_diag *diag)
{
    if (result)
        *result = NULL;
    ps_diag_clear(refused);
    if (strcmp(act, "sole-proprietor.register") == 0)
        return fop(tx, actor, args, reason, result, refused, diag);
    if (strcmp(act, "idp.register") == 0)
        return idp(tx, actor, args, reason, result, refused, diag);
    if (strcmp(act, "marriage.register") == 0)
        return marriage(tx, actor, args, reason, result, refused, diag);
    return ps_diag_set(diag, PS_ERR_INVALID, "no registry act %s", act);
}
