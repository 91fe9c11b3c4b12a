/* The passkey ceremonies (ceremony.h): challenges, activation codes, accounts, passkeys and
 * sessions around the pure WebAuthn verification. */
#include "identity/ceremony.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "identity/activation.h"
#include "identity/challenge.h"
#include "identity/passkey.h"
#include "identity/webauthn.h"
#include "registries/persons.h"
#include "store/store.h"
#include "tlog/access.h"

#define RP_NAME "PocketState"
#define TIMEOUT_MS 300000

/* Who records a refused ceremony: nobody has signed in, the platform noticed. */
static const struct ps_actor auth_service = {.kind = PS_ACTOR_SYSTEM,
                                             .id = {"pocketstate-auth", 16}};

const char *ps_ceremony_refusal_name(const struct ps_ceremony_refused *r)
{
    switch (r->kind) {
    case PS_CR_ACTIVATION:
        return "activation-invalid";
    case PS_CR_CHALLENGE:
        return "challenge-unknown";
    case PS_CR_CHALLENGE_EXPIRED:
        return "challenge-expired";
    case PS_CR_CREDENTIAL:
        return "credential-unknown";
    case PS_CR_PROTOCOL:
        return ps_id_code_name(r->id.code);
    case PS_CR_NONE:
        break;
    }
    return "";
}

static void refuse(struct ps_ceremony_refused *r, enum ps_ceremony_refusal kind,
                   const char *message)
{
    r->kind = kind;
    if (message)
        ps_diag_set(&r->id.d, PS_ERR_DENIED, "%s", message);
}

/* The change entry of a refused ceremony (subject: the account when known). */
static enum ps_err record_refusal(struct ps_tx *tx, const char *action, struct ps_str subject,
                                  const struct ps_ceremony_refused *r, struct ps_diag *diag)
{
    const char *resource = strcmp(action, "auth.enrol.refuse") == 0 ? "auth/enrol" : "auth/signin";
    return ps_tlog_record_change(tx, &auth_service, action, subject, ps_str_from_cstr(resource),
                                 ps_str_from_cstr(ps_ceremony_refusal_name(r)), diag);
}

/* The RP's expectations for a ceremony answering challenge. origins: room for all. */
static void expect(const struct ps_ceremony_cfg *cfg, struct ps_bytes challenge,
                   struct ps_str origins[1 + PS_RP_ORIGINS_MAX], struct ps_webauthn_expect *exp)
{
    memset(exp, 0, sizeof *exp);
    origins[0] = ps_str_from_cstr(cfg->rp->origin);
    for (size_t i = 0; i < cfg->rp->nextra; i++)
        origins[1 + i] = ps_str_from_cstr(cfg->rp->extra[i]);
    exp->rp_id = ps_str_from_cstr(cfg->rp->id);
    exp->origins = origins;
    exp->norigins = 1 + cfg->rp->nextra;
    exp->challenge = challenge;
}

/* A session for rnokpp made with passkey_id; its strings copied into arena (the ceremony's
 * own copies do not outlive it). */
static enum ps_err start_session(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                                 struct ps_arena *arena, struct ps_str rnokpp,
                                 const char *passkey_id, struct ps_str label,
                                 struct ps_ceremony_session *out, struct ps_diag *diag)
{
    enum ps_err e = ps_session_create(tx, rnokpp, passkey_id, label, cfg->sessions, out->token,
                                      &out->session, diag);
    if (e != PS_OK)
        return e;
    out->session.rnokpp = ps_arena_str(arena, rnokpp);
    out->session.passkey_id = ps_arena_str(arena, ps_str_from_cstr(passkey_id));
    out->session.label = ps_arena_str(arena, out->session.label);
    if (!out->session.rnokpp.p || !out->session.passkey_id.p || !out->session.label.p)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    return PS_OK;
}

/* ---- enrolment ---- */

/* The person's passkeys as excludeCredentials (ids and transports), in arena. */
static enum ps_err exclusions(struct ps_tx *tx, struct ps_arena *arena, struct ps_str rnokpp,
                              struct ps_webauthn_cred_ref **out, size_t *n,
                              struct ps_diag *diag)
{
    struct ps_passkey *keys = ps_arena_array(arena, PS_PASSKEYS_MAX, sizeof *keys);
    *out = ps_arena_array(arena, PS_PASSKEYS_MAX, sizeof **out);
    if (!keys || !*out)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = ps_passkeys_of(tx, rnokpp, arena, keys, PS_PASSKEYS_MAX, n, diag);
    for (size_t i = 0; e == PS_OK && i < *n; i++) {
        struct ps_str t = keys[i].transports;
        (*out)[i].id = (struct ps_bytes){(const uint8_t *)keys[i].credential_id.p,
                                         keys[i].credential_id.len};
        (*out)[i].transports = 0;
        for (size_t k = 0; k < t.len;) { /* space-separated names */
            size_t j = k;
            while (j < t.len && t.p[j] != ' ')
                j++;
            (*out)[i].transports |= ps_webauthn_transport_bit((struct ps_str){t.p + k, j - k});
            k = j + 1;
        }
    }
    return e;
}

/* The display name a passkey shows: "Surname Given" from the person's own record (their
 * own read, not recorded: they have just proved who they are). */
static enum ps_err display_name(struct ps_tx *tx, struct ps_arena *arena, struct ps_str rnokpp,
                                struct ps_str *out, struct ps_diag *diag)
{
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = rnokpp};
    struct ps_person p;
    enum ps_err e = ps_person_read(tx, &self, rnokpp, PS_STR_NULL, arena, &p, diag);
    if (e != PS_OK)
        return e;
    char *name = ps_arena_printf(arena, "%.*s %.*s", PS_STR_FMT(p.surname),
                                 PS_STR_FMT(p.given_name));
    if (!name)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    *out = ps_str_from_cstr(name);
    return PS_OK;
}

enum ps_err ps_enrol_start(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                           struct ps_arena *arena, struct ps_str rnokpp, struct ps_date birth,
                           struct ps_str code, json_t **options,
                           struct ps_ceremony_refused *refused, struct ps_diag *diag)
{
    struct ps_challenge ch = {.purpose = PS_CHALLENGE_ENROL};
    struct ps_diag mismatch = {0};
    struct ps_str name = PS_STR_NULL;
    bool exists = false;
    memset(refused, 0, sizeof *refused);
    enum ps_err e = ps_activation_check(tx, rnokpp, birth, code, cfg->activation_key,
                                        ch.activation_id, &mismatch, diag);
    if (e != PS_OK || mismatch.code != PS_OK) {
        if (e == PS_OK)
            refuse(refused, PS_CR_ACTIVATION, mismatch.message);
        return e; /* a refusal commits: the wrong try is counted */
    }
    memcpy(ch.rnokpp, rnokpp.p, rnokpp.len); /* validated: 10 digits */
    struct ps_webauthn_cred_ref *excl = NULL;
    size_t nexcl = 0;
    e = ps_account_handle(tx, rnokpp, ch.user_handle, &exists, diag);
    if (e == PS_OK)
        e = exclusions(tx, arena, rnokpp, &excl, &nexcl, diag);
    if (e == PS_OK)
        e = display_name(tx, arena, rnokpp, &name, diag);
    if (e == PS_OK)
        e = ps_challenge_new(tx, &ch, diag);
    if (e != PS_OK)
        return e;
    struct ps_webauthn_creation c = {
        .rp_id = ps_str_from_cstr(cfg->rp->id),
        .rp_name = PS_STR(RP_NAME),
        .user_handle = {ch.user_handle, sizeof ch.user_handle},
        .user_name = rnokpp,
        .user_display_name = name,
        .challenge = {ch.bytes, sizeof ch.bytes},
        .timeout_ms = TIMEOUT_MS,
        .exclude = excl,
        .nexclude = nexcl,
    };
    return ps_webauthn_creation_options(arena, &c, options, diag);
}

/* Takes the challenge a response answers: false when refused (refused set). */
static enum ps_err take_challenge(struct ps_tx *tx, struct ps_arena *arena, struct ps_str response,
                                  enum ps_challenge_purpose purpose, struct ps_challenge *ch,
                                  struct ps_ceremony_refused *refused, struct ps_diag *diag)
{
    struct ps_bytes claimed;
    if (ps_webauthn_challenge_of(arena, response, &claimed, &refused->id) != PS_OK) {
        if (refused->id.code == PS_ID_INTERNAL)
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        refused->kind = PS_CR_PROTOCOL;
        return PS_OK;
    }
    struct ps_diag d = {0};
    enum ps_err e = ps_challenge_take(tx, claimed.p, claimed.len, purpose, ch, &d);
    if (e == PS_ERR_NOTFOUND) {
        refuse(refused, PS_CR_CHALLENGE, "the challenge is unknown or was used already");
        return PS_OK;
    }
    if (e != PS_OK)
        return ps_diag_set(diag, e, "%s", d.message);
    if (ch->expired)
        refuse(refused, PS_CR_CHALLENGE_EXPIRED, "the challenge expired: start again");
    return PS_OK;
}

/* The passkey record of a verified registration, for rnokpp. */
static enum ps_err passkey_of(struct ps_arena *arena, const struct ps_webauthn_credential *cred,
                              struct ps_str rnokpp, struct ps_str label, struct ps_passkey *p,
                              struct ps_diag *diag)
{
    struct ps_buf t;
    ps_buf_init(&t, PS_TRANSPORTS_MAX);
    enum ps_err e = ps_webauthn_transports_format(cred->transports, &t);
    memset(p, 0, sizeof *p);
    p->rnokpp = rnokpp;
    p->credential_id = (struct ps_str){(const char *)cred->id.p, cred->id.len};
    p->public_key = (struct ps_str){(const char *)cred->public_key.p, cred->public_key.len};
    p->alg = cred->alg;
    p->sign_count = cred->sign_count;
    p->backup_eligible = cred->be;
    p->backup_state = cred->bs;
    p->transports = ps_arena_str(arena, ps_buf_str(&t));
    p->aaguid = ps_arena_str(arena, (struct ps_str){(const char *)cred->aaguid, 16});
    p->name = label.len ? (struct ps_str){label.p, label.len < 60 ? label.len : 60}
                        : PS_STR("Passkey");
    ps_buf_reset(&t);
    if (e == PS_OK && (!p->transports.p || !p->aaguid.p))
        e = PS_ERR_NOMEM;
    if (e != PS_OK)
        return ps_diag_set(diag, e, "out of memory");
    return PS_OK;
}

enum ps_err ps_enrol_finish(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                            struct ps_arena *arena, struct ps_str response, struct ps_str label,
                            struct ps_ceremony_session *out, struct ps_ceremony_refused *refused,
                            struct ps_diag *diag)
{
    struct ps_challenge ch;
    struct ps_str origins[1 + PS_RP_ORIGINS_MAX];
    struct ps_webauthn_expect exp;
    struct ps_webauthn_credential cred;
    struct ps_passkey p;
    memset(refused, 0, sizeof *refused);
    enum ps_err e = take_challenge(tx, arena, response, PS_CHALLENGE_ENROL, &ch, refused, diag);
    if (e != PS_OK || refused->kind == PS_CR_PROTOCOL || refused->kind == PS_CR_CHALLENGE)
        return e; /* nothing was taken: nothing to record */
    struct ps_str rnokpp = {ch.rnokpp, strlen(ch.rnokpp)};
    if (refused->kind == PS_CR_NONE) {
        expect(cfg, (struct ps_bytes){ch.bytes, sizeof ch.bytes}, origins, &exp);
        if (ps_webauthn_register(arena, &exp, response, &cred, &refused->id) != PS_OK) {
            if (refused->id.code == PS_ID_INTERNAL)
                return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
            refused->kind = PS_CR_PROTOCOL;
        }
    }
    struct ps_diag used = {0};
    if (refused->kind == PS_CR_NONE &&
        ps_activation_use(tx, ps_str_from_cstr(ch.activation_id), &used) == PS_ERR_DENIED)
        refuse(refused, PS_CR_ACTIVATION, used.message);
    else if (used.code != PS_OK)
        return ps_diag_set(diag, used.code, "%s", used.message);
    if (refused->kind != PS_CR_NONE)
        return record_refusal(tx, "auth.enrol.refuse", rnokpp, refused, diag);
    e = passkey_of(arena, &cred, rnokpp, label, &p, diag);
    if (e == PS_OK)
        e = ps_passkey_add(tx, ch.user_handle, &p, diag);
    if (e == PS_OK)
        e = start_session(tx, cfg, arena, rnokpp, p.id, label, out, diag);
    return e;
}

/* ---- sign-in ---- */

enum ps_err ps_signin_start(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                            struct ps_arena *arena, json_t **options, struct ps_diag *diag)
{
    struct ps_challenge ch = {.purpose = PS_CHALLENGE_SIGNIN};
    enum ps_err e = ps_challenge_new(tx, &ch, diag);
    if (e != PS_OK)
        return e;
    struct ps_webauthn_request r = {.rp_id = ps_str_from_cstr(cfg->rp->id),
                                    .challenge = {ch.bytes, sizeof ch.bytes},
                                    .timeout_ms = TIMEOUT_MS};
    return ps_webauthn_request_options(arena, &r, options, diag);
}

/* The stored credential an assertion is checked against. */
static enum ps_err stored_of(struct ps_tx *tx, const struct ps_passkey *p,
                             unsigned char handle[PS_USER_HANDLE_BYTES],
                             struct ps_webauthn_stored *s, struct ps_diag *diag)
{
    bool exists = false;
    enum ps_err e = ps_account_handle(tx, p->rnokpp, handle, &exists, diag);
    if (e == PS_OK && !exists)
        e = ps_diag_set(diag, PS_ERR_INTERNAL, "a passkey without an account");
    s->public_key = (struct ps_bytes){(const uint8_t *)p->public_key.p, p->public_key.len};
    s->alg = p->alg;
    s->sign_count = (uint32_t)p->sign_count;
    s->backup_eligible = p->backup_eligible;
    s->user_handle = (struct ps_bytes){handle, PS_USER_HANDLE_BYTES};
    return e;
}

/* Verifies the assertion against the passkey it names: refused set when it does not. */
static enum ps_err verify_assertion(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                                    struct ps_arena *arena,
                                    const struct ps_webauthn_assertion *as,
                                    const struct ps_challenge *ch, struct ps_passkey *p,
                                    struct ps_webauthn_auth *auth,
                                    struct ps_ceremony_refused *refused, struct ps_diag *diag)
{
    struct ps_str origins[1 + PS_RP_ORIGINS_MAX];
    struct ps_webauthn_expect exp;
    struct ps_webauthn_stored stored;
    unsigned char handle[PS_USER_HANDLE_BYTES];
    struct ps_diag d = {0};
    enum ps_err e = ps_passkey_find(
        tx, (struct ps_str){(const char *)as->credential_id.p, as->credential_id.len}, arena, p,
        &d);
    if (e == PS_ERR_NOTFOUND) {
        refuse(refused, PS_CR_CREDENTIAL, "no passkey with this credential is registered");
        return PS_OK;
    }
    if (e == PS_OK)
        e = stored_of(tx, p, handle, &stored, &d);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "%s", d.message);
    expect(cfg, (struct ps_bytes){ch->bytes, sizeof ch->bytes}, origins, &exp);
    if (ps_webauthn_assertion_verify(arena, &exp, as, &stored, auth, &refused->id) != PS_OK) {
        if (refused->id.code == PS_ID_INTERNAL)
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        refused->kind = PS_CR_PROTOCOL;
    }
    return PS_OK;
}

enum ps_err ps_signin_finish(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                             struct ps_arena *arena, struct ps_str response, struct ps_str label,
                             struct ps_ceremony_session *out, struct ps_ceremony_refused *refused,
                             struct ps_diag *diag)
{
    struct ps_webauthn_assertion as;
    struct ps_webauthn_auth auth;
    struct ps_challenge ch;
    struct ps_passkey p;
    memset(refused, 0, sizeof *refused);
    memset(&p, 0, sizeof p);
    if (ps_webauthn_assertion_parse(arena, response, &as, &refused->id) != PS_OK) {
        if (refused->id.code == PS_ID_INTERNAL)
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        refused->kind = PS_CR_PROTOCOL;
        return PS_OK;
    }
    enum ps_err e = take_challenge(tx, arena, response, PS_CHALLENGE_SIGNIN, &ch, refused, diag);
    if (e != PS_OK || refused->kind == PS_CR_PROTOCOL || refused->kind == PS_CR_CHALLENGE)
        return e;
    if (refused->kind == PS_CR_NONE)
        e = verify_assertion(tx, cfg, arena, &as, &ch, &p, &auth, refused, diag);
    if (e != PS_OK)
        return e;
    if (refused->kind != PS_CR_NONE)
        return record_refusal(tx, "auth.signin.refuse", p.rnokpp.p ? p.rnokpp : PS_STR_NULL,
                              refused, diag);
    e = ps_passkey_used(tx, p.id, auth.sign_count, diag);
    if (e == PS_OK)
        e = start_session(tx, cfg, arena, p.rnokpp, p.id, label, out, diag);
    return e;
}
