/* The rules of access, as a table: for each action, who may perform it. Adding a route means
 * adding its action here (a test fails otherwise); adding an actor kind or a role means
 * reading this table once. */
#include "policy/policy.h"

#include <string.h>

/* who: bits of a rule */
#define ANYONE 0x1u /* unauthenticated callers too */
#define ADMIN 0x2u  /* the local operator */
#define SELF 0x4u   /* a citizen acting on their own data (resource owner == actor id) */
#define PERSON 0x8u /* any person signed in, on their own account (the routes under /me) */

struct rule {
    const char *action;
    unsigned who;
    const char *roles; /* official roles that may, space-separated; NULL: none */
    unsigned scopes;   /* client scopes of which any one suffices; 0: no client may */
};

static const struct rule rules[] = {
    /* the platform's public face: health, metrics, the API description */
    {"system.read", ANYONE, NULL, 0},
    /* the transparency log is public by design: checkpoints, tiles, proofs, its key */
    {"log.read", ANYONE, NULL, 0},
    /* witnesses submit cosignatures; the log accepts only those of its configured keys */
    {"log.cosign", ANYONE, NULL, 0},
    /* the portal's public pages, static files and its answers to unknown paths */
    {"portal.read", ANYONE, NULL, 0},
    /* signing out of the portal: without a session there is nothing to end */
    {"portal.signout", ANYONE, NULL, 0},
    /* the officials' work area in the portal: any official role */
    {"official.work", 0, "clerk registrar inspector agency-admin auditor", 0},
    /* a person's registry record */
    {"person.read", ADMIN | SELF, "clerk registrar inspector", PS_SCOPE_REGISTRY_READ},
    {"person.register", ADMIN, "registrar", 0},
    /* who used a person's data */
    {"access-log.read", ADMIN | SELF, "auditor", 0},
    /* identity: a service-centre clerk hands out activation codes */
    {"activation-code.issue", ADMIN, "clerk", 0},
    /* enrolling, signing in: anyone may try (abuse limits apply) */
    {"auth.enrol", ANYONE, NULL, 0},
    {"auth.signin", ANYONE, NULL, 0},
    /* one's own account: record, access log, passkeys, sessions, signing out */
    {"me.read", PERSON, NULL, 0},
    {"me.write", PERSON, NULL, 0},
    /* agencies are public; their officials' roles are the agency admins' (and auditors') */
    {"agency.list", ANYONE, NULL, 0},
    {"role.list", ADMIN, "agency-admin auditor", 0},
    {"role.grant", ADMIN, "agency-admin", 0},
    {"role.revoke", ADMIN, "agency-admin", 0},
    /* documents: one's own (list, show, present, print, bind a device, share) */
    {"document.own.read", PERSON, NULL, 0},
    {"document.own.write", PERSON, NULL, 0},
    /* a person's documents as officials see them (recorded) */
    {"document.list", ADMIN | SELF, "clerk registrar inspector", PS_SCOPE_REGISTRY_READ},
    /* redeeming a share code: a verifier system, an official, the operator; the public verify
     * page redeems too, and sees only what a document discloses by default */
    {"document.share.redeem", ADMIN, "clerk registrar inspector", PS_SCOPE_DOCUMENTS_VERIFY},
    {"document.share.redeem-public", ANYONE, NULL, 0},
    /* revoking, suspending, reinstating: the issuing agency's registrars and inspectors */
    {"document.status.change", ADMIN, "registrar inspector", 0},
    /* what verifiers fetch: trust list, root key, status lists, document status and types */
    {"document.public", ANYONE, NULL, 0},
    /* public services: the catalogue is public; a person applies, consents and reads their
     * applications (the engine decides whose: applicant, party, or an official whose role may
     * decide one of its tasks); officials decide and registrars keep their calendars */
    {"service.list", ANYONE, NULL, 0},
    {"application.read", PERSON, NULL, 0},
    {"application.write", PERSON, NULL, 0},
    {"task.decide", 0, "clerk registrar inspector", 0},
    {"slot.add", 0, "registrar", 0},
    /* agency systems are the operator's */
    {"client.list", ADMIN, NULL, 0},
    {"client.add", ADMIN, NULL, 0},
    {"client.remove", ADMIN, NULL, 0},
};

static const struct rule *find(const char *action)
{
    for (size_t i = 0; action && i < sizeof rules / sizeof rules[0]; i++) {
        if (strcmp(rules[i].action, action) == 0)
            return &rules[i];
    }
    return NULL;
}

bool ps_policy_known(const char *action, bool *public)
{
    const struct rule *r = find(action);
    if (public)
        *public = r && (r->who & ANYONE);
    return r != NULL;
}

/* True when name is one of the space-separated words of list. */
static bool in_list(const char *list, struct ps_str name)
{
    size_t n = list ? strlen(list) : 0, i = 0;
    while (i < n && name.len > 0) {
        size_t j = i;
        while (j < n && list[j] != ' ')
            j++;
        if (j - i == name.len && memcmp(list + i, name.p, name.len) == 0)
            return true;
        i = j + 1;
    }
    return false;
}

static void allow(struct ps_decision *out, const char *reason)
{
    out->allow = true;
    out->reason = reason;
}

static void deny(struct ps_decision *out, const char *reason)
{
    out->allow = false;
    out->reason = reason;
}

/* A citizen's official roles: the first that the rule names and whose agency and oblast fit
 * the resource. */
static bool by_role(const struct rule *r, const struct ps_resource *res,
                    struct ps_decision *out)
{
    const struct ps_actor *a = &out->actor;
    for (size_t i = 0; i < a->nroles; i++) {
        const struct ps_role *role = &a->roles[i];
        if (!in_list(r->roles, role->name))
            continue;
        if (res->agency.len && !ps_str_eq(res->agency, role->agency))
            continue;
        if (role->oblast.len && res->oblast.len && !ps_str_eq(res->oblast, role->oblast))
            continue;
        out->needs_oblast = role->oblast.len > 0 && res->oblast.len == 0;
        out->actor.kind = PS_ACTOR_OFFICIAL;
        out->actor.role = role;
        allow(out, "an official role allows it");
        return true;
    }
    return false;
}

void ps_policy_decide(const struct ps_actor *actor, const char *action,
                      const struct ps_resource *resource, struct ps_decision *out)
{
    static const struct ps_resource none;
    const struct ps_resource *res = resource ? resource : &none;
    const struct rule *r = find(action);
    memset(out, 0, sizeof *out);
    if (actor)
        out->actor = *actor;
    if (!r) {
        deny(out, "no policy for this action");
        return;
    }
    if (r->who & ANYONE) {
        allow(out, "public");
        return;
    }
    switch (actor ? actor->kind : PS_ACTOR_ANONYMOUS) {
    case PS_ACTOR_ADMIN:
        if (r->who & ADMIN)
            allow(out, "the local administrator");
        else
            deny(out, "not for the local administrator");
        return;
    case PS_ACTOR_CITIZEN:
    case PS_ACTOR_OFFICIAL: /* decided afresh from the person's roles */
        out->actor.kind = PS_ACTOR_CITIZEN;
        out->actor.role = NULL;
        if ((r->who & SELF) && res->owner.len && ps_str_eq(res->owner, actor->id)) {
            allow(out, "the person's own data");
            return;
        }
        if (r->who & PERSON) {
            allow(out, "the person's own account");
            return;
        }
        if (!by_role(r, res, out)) {
            out->actor = *actor;
            deny(out, "no role of this person allows it");
        }
        return;
    case PS_ACTOR_SYSTEM:
        if (actor->scopes & r->scopes)
            allow(out, "the client's scope allows it");
        else
            deny(out, "the client has no scope that allows it");
        return;
    case PS_ACTOR_ANONYMOUS:
        break;
    }
    deny(out, "authentication required");
}
