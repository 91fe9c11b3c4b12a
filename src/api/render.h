/* The API's JSON representations of domain records, and the mapping of request bodies to
 * them. They belong to the edge (the portal renders the same records as HTML). Pure: no
 * store, no request state beyond what is passed. */
#ifndef PS_API_RENDER_H
#define PS_API_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "http/http.h"
#include "policy/actor.h"
#include "registries/persons.h"
#include "tlog/log.h"

/* A person record: rnokpp, unzr, surname, given_name, patronymic, surname_latin,
 * given_name_latin, patronymic_latin, birth_date (YYYY-MM-DD), sex ("male"/"female"),
 * id_card, address {oblast, hromada, settlement, street, building}, status
 * ("alive"/"deceased"). Field names are stable (openapi.json "Person"). */
void ps_api_person_json(struct ps_jw *w, const struct ps_person *p);

/* Maps the body of a registration (an object with exactly the members rnokpp, unzr,
 * id_card, surname, given_name, patronymic (optional), birth_date, sex, address {oblast,
 * hromada, settlement, street, building} and reason) onto *p and *reason: strings borrowed
 * from root, Latin names left empty, status alive. Checks only the shape (members known,
 * strings where strings are due, the date's and the sex's syntax, reason 1..200 bytes);
 * the record's own rules are the domain's (ps_person_complete). Errors: PS_ERR_INVALID,
 * with the member in diag. Pure; the fuzz target drives it. */
enum ps_err ps_api_person_from_json(const json_t *root, struct ps_person *p,
                                    struct ps_str *reason, struct ps_diag *diag) PS_WUR;

/* base64url (no padding) of bytes into out (NUL-terminated, cut to cap). */
void ps_api_b64url(struct ps_str bytes, char *out, size_t cap);

/* Maps the body of POST /api/v1/clients ({"id", "agency", "name", "alg" ("ed25519" or
 * "ecdsa-p256-sha256"), "public_key" (base64url: 32 raw bytes, or the 65-byte uncompressed
 * P-256 point), "scopes" (space-separated), "reason"}, nothing else) onto *c (key bytes in
 * arena) and *reason. Errors: PS_ERR_INVALID naming the member. */
struct ps_client;
enum ps_err ps_api_client_from_json(const json_t *root, struct ps_arena *arena,
                                    struct ps_client *c, struct ps_str *reason,
                                    struct ps_diag *diag) PS_WUR;

/* One page of "who used my data" with the inclusion proofs of its rows. */
struct ps_api_access_page {
    struct ps_str subject;
    size_t limit, n;
    struct ps_tlog_subject_row rows[PS_TLOG_PAGE_MAX];
    struct ps_merkle_proof *proofs; /* n of them, from ps_api_access_page_prepare */
    uint64_t size;                  /* the checkpoint's tree size (0: none yet) */
    struct ps_buf checkpoint;       /* its note; reset when the arena is freed */
    bool for_subject; /* the subject's own view: another person's id (an official's, a
                       * citizen's) is left out, as in the public entry */
};
/* Allocates the page's proofs and checkpoint buffer in arena (released with it). */
enum ps_err ps_api_access_page_prepare(struct ps_arena *arena,
                                       struct ps_api_access_page *p) PS_WUR;
/* {"subject", "treeSize", "checkpoint", "entries": [{id, kind, time, actor {kind, id?, role?,
 * agency?},
 * action, resource, purpose, salt?, index?, entry?, inclusionProof?}], "next"?} */
void ps_api_access_page_json(struct ps_jw *w, const struct ps_api_access_page *p);

/* Official roles: [{"role", "agency", "oblast"?}]. */
void ps_api_roles_json(struct ps_jw *w, const struct ps_role *roles, size_t n);
/* A passkey as its owner sees it: {id, name, algorithm, created_at, last_used_at?,
 * backup_eligible, backup_state, transports: []} (never the key or the credential id). */
struct ps_passkey;
void ps_api_passkey_json(struct ps_jw *w, const struct ps_passkey *p);
/* A session as its owner sees it: {id, device, created_at, last_seen_at, expires_at,
 * current}. */
struct ps_session;
void ps_api_session_json(struct ps_jw *w, const struct ps_session *s, bool current);
/* A time as RFC 3339 UTC with milliseconds. */
void ps_api_time_json(struct ps_jw *w, const char *key, int64_t ms);

/* An array of base64 hashes (a Merkle proof). */
void ps_api_hashes_json(struct ps_jw *w, const struct ps_merkle_proof *proof);

/* Reads ?limit= (1..PS_TLOG_PAGE_MAX, default def) and ?before= (a canonical lower-case
 * record id, or absent: PS_STR_NULL). False after answering 400. */
bool ps_api_page_query(struct ps_req *req, size_t def, size_t *limit, struct ps_str *before);

#endif
