/* Documents as JSON: the holder's full view, a verifier's chosen claims, the public facts,
 * and the document types the portal lays documents out with. */
#include "api/docs_render.h"

#include <stdio.h>
#include <string.h>

#include "api/render.h"
#include "documents/issuer.h"
#include "registries/records.h"

static void label(struct ps_jw *w, const char *key, const struct ps_label *l)
{
    ps_jw_key(w, key);
    ps_jw_obj(w);
    ps_jw_kcstr(w, "uk", l->uk);
    ps_jw_kcstr(w, "en", l->en);
    ps_jw_obj_end(w);
}

static void value(struct ps_jw *w, const struct ps_doc_claim *c)
{
    char b64[128];
    switch (c->type) {
    case PS_DOC_TEXT: ps_jw_cstr(w, c->text ? c->text : ""); return;
    case PS_DOC_INT: ps_jw_int(w, c->i); return;
    case PS_DOC_BOOL: ps_jw_bool(w, c->b); return;
    case PS_DOC_BYTES: break;
    }
    ps_api_b64url((struct ps_str){(const char *)c->bytes, c->len}, b64, sizeof b64);
    ps_jw_cstr(w, b64);
}

static void facts(struct ps_jw *w, const struct ps_document *doc, int64_t now_ms)
{
    char iss[48] = "", agency[40] = "";
    if (ps_str_copy(agency, sizeof agency, doc->issuer) != PS_OK ||
        ps_issuer_iss(agency, iss, sizeof iss) != PS_OK)
        iss[0] = '\0';
    ps_jw_kcstr(w, "id", doc->id);
    ps_jw_kstr(w, "type", doc->type_id);
    if (doc->type)
        label(w, "name", &doc->type->name);
    ps_jw_kstr(w, "issuer", doc->issuer);
    ps_jw_kcstr(w, "iss", iss);
    ps_jw_kcstr(w, "status", ps_doc_status_name(doc->status));
    ps_api_time_json(w, "issued_at", doc->issued_at_ms);
    ps_api_time_json(w, "expires_at", doc->expires_at_ms);
    ps_jw_kbool(w, "expired", doc->expires_at_ms <= now_ms);
    if (doc->changed_at_ms)
        ps_api_time_json(w, "changed_at", doc->changed_at_ms);
}

static void sections(struct ps_jw *w, const struct ps_doctype *t, ps_claim_mask mask)
{
    ps_jw_key(w, "sections");
    ps_jw_arr(w);
    for (size_t s = 0; s < t->nsections; s++) {
        const struct ps_doctype_section *sec = &t->sections[s];
        ps_jw_obj(w);
        label(w, "title", &sec->title);
        ps_jw_key(w, "claims");
        ps_jw_arr(w);
        for (size_t k = 0; k < sec->n; k++) {
            if (mask & ((ps_claim_mask)1 << sec->claims[k]))
                ps_jw_cstr(w, t->claims[sec->claims[k]].name);
        }
        ps_jw_arr_end(w);
        ps_jw_obj_end(w);
    }
    ps_jw_arr_end(w);
}

void ps_api_document_json(struct ps_jw *w, const struct ps_docs *d, const struct ps_doc_view *v,
                          ps_claim_mask mask, int64_t now_ms)
{
    const struct ps_document *doc = &v->doc;
    const struct ps_doctype *t = doc->type;
    char uri[400];
    snprintf(uri, sizeof uri, "%s/api/v1/status-lists/%lld", ps_docs_public_url(d),
             (long long)doc->status_list);
    ps_jw_obj(w);
    facts(w, doc, now_ms);
    ps_jw_kuint(w, "type_version", doc->type_version);
    if (doc->change_reason.len)
        ps_jw_kstr(w, "change_reason", doc->change_reason);
    if (doc->superseded_by.len)
        ps_jw_kstr(w, "superseded_by", doc->superseded_by);
    ps_jw_key(w, "status_list");
    ps_jw_obj(w);
    ps_jw_kcstr(w, "uri", uri);
    ps_jw_kint(w, "idx", doc->status_idx);
    ps_jw_obj_end(w);
    ps_jw_kbool(w, "device_key", doc->has_holder_key);
    ps_jw_kbool(w, "photo", t && t->photo);
    ps_jw_key(w, "claims");
    ps_jw_arr(w);
    for (size_t i = 0; t && i < v->n; i++) {
        if (!(mask & ((ps_claim_mask)1 << i)))
            continue;
        ps_jw_obj(w);
        ps_jw_kcstr(w, "name", t->claims[i].name);
        ps_jw_kcstr(w, "type", ps_claim_type_name(t->claims[i].type));
        label(w, "label", &t->claims[i].label);
        ps_jw_kbool(w, "disclose", t->claims[i].disclose);
        ps_jw_key(w, "value");
        value(w, &v->claims[i]);
        ps_jw_obj_end(w);
    }
    ps_jw_arr_end(w);
    if (t)
        sections(w, t, mask);
    ps_jw_obj_end(w);
}

void ps_api_document_public_json(struct ps_jw *w, const struct ps_document *doc, int64_t now_ms)
{
    ps_jw_obj(w);
    facts(w, doc, now_ms);
    ps_jw_obj_end(w);
}

static const char *from_name(const struct ps_doctype *t, const struct ps_doctype_claim *c,
                             char *buf, size_t cap)
{
    static const char *const derived[] = {"full_name", "full_name_latin", "address", "over_18",
                                          "over_21", "age", "photo"};
    static const char *const docfields[] = {"id", "issued_on", "expires_on"};
    const struct ps_record_source *person = ps_record_source(PS_STR("person"));
    switch (c->from) {
    case PS_FROM_PERSON: snprintf(buf, cap, "person.%s", person->fields[c->field]); break;
    case PS_FROM_RECORD: snprintf(buf, cap, "record.%s", t->source->fields[c->field]); break;
    case PS_FROM_DERIVED: snprintf(buf, cap, "derived.%s", derived[c->field]); break;
    case PS_FROM_DOCUMENT: snprintf(buf, cap, "document.%s", docfields[c->field]); break;
    }
    return buf;
}

void ps_api_doctype_json(struct ps_jw *w, const struct ps_doctype *t)
{
    char from[128], validity[64];
    if (t->validity == PS_VALID_FIELD)
        snprintf(validity, sizeof validity, "record.%s", t->source->fields[t->validity_n]);
    else
        snprintf(validity, sizeof validity, "%d %s", t->validity_n,
                 t->validity == PS_VALID_YEARS ? "years" : "days");
    ps_jw_obj(w);
    ps_jw_kcstr(w, "id", t->id);
    ps_jw_kuint(w, "version", t->version);
    label(w, "name", &t->name);
    ps_jw_kcstr(w, "issuer", t->issuer);
    ps_jw_kcstr(w, "source", t->source->name);
    ps_jw_kcstr(w, "validity", validity);
    ps_jw_kbool(w, "suspension", t->suspension);
    ps_jw_kbool(w, "photo", t->photo);
    ps_jw_key(w, "claims");
    ps_jw_arr(w);
    for (size_t i = 0; i < t->nclaims; i++) {
        const struct ps_doctype_claim *c = &t->claims[i];
        ps_jw_obj(w);
        ps_jw_kcstr(w, "name", c->name);
        ps_jw_kcstr(w, "type", ps_claim_type_name(c->type));
        ps_jw_kcstr(w, "from", from_name(t, c, from, sizeof from));
        label(w, "label", &c->label);
        ps_jw_kbool(w, "disclose", c->disclose);
        ps_jw_obj_end(w);
    }
    ps_jw_arr_end(w);
    sections(w, t, ~(ps_claim_mask)0);
    ps_jw_obj_end(w);
}

/* base64url without padding of exactly 32 bytes. */
static bool coord(const json_t *v, uint8_t out[32])
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 43)
        return false;
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < 43; i++) {
        const char *p = strchr(A, s[i]);
        if (!p || !s[i])
            return false;
        acc = acc << 6 | (uint32_t)(p - A);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n < 32)
                out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n == 32 && (acc & ((1u << bits) - 1)) == 0; /* no stray bits at the end */
}

enum ps_err ps_api_p256_jwk(const json_t *jwk, uint8_t x[32], uint8_t y[32],
                            struct ps_diag *diag)
{
    if (!json_is_object(jwk))
        return ps_diag_set(diag, PS_ERR_INVALID, "jwk must be an object");
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    if (!kty || strcmp(kty, "EC") != 0 || !crv || strcmp(crv, "P-256") != 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "jwk must be an EC key on P-256");
    if (json_object_get(jwk, "d"))
        return ps_diag_set(diag, PS_ERR_INVALID, "jwk must not hold a private key");
    if (!coord(json_object_get(jwk, "x"), x) || !coord(json_object_get(jwk, "y"), y))
        return ps_diag_set(diag, PS_ERR_INVALID, "jwk x and y are 32 bytes in base64url");
    return PS_OK;
}
