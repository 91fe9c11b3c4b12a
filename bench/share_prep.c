/* Prepares the share-redemption benchmark (bench/run.sh, scenario share) on a running demo:
 * opens its SQLite database (alongside the server: WAL, short transactions), syncs the
 * documents of N living adults and creates C single-use share codes of each one's ID card
 * (the claims the type discloses by default: names, date of birth, number, photo), as the
 * person, each code recorded as in production (share.create). Writes the codes, one per line.
 *   share_prep DATA_DIR PUBLIC_URL PERSONS CODES_PER_PERSON OUT_FILE
 * Codes live 30 minutes here (the API gives citizens 3): the bench must not race the clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/keys.h"
#include "keystore/keystore.h"
#include "documents/docs.h"
#include "store/store.h"

#define TTL_MS (30LL * 60 * 1000)
#define PERSONS_MAX 100000

struct prep {
    struct ps_docs *docs;
    char (*rnokpp)[11];
    size_t n, per;
    FILE *out;
    struct ps_diag diag;
};

static const struct ps_sql adults = {
    "bench.adults", "SELECT rnokpp FROM persons WHERE status = 'alive' AND birth_date < "
                    "'2004-01-01' ORDER BY rnokpp LIMIT $1"};

static enum ps_err adults_tx(struct ps_tx *tx, void *ctx)
{
    struct prep *p = ctx;
    struct ps_query q;
    size_t want = p->n;
    p->n = 0;
    ps_query_start(&q, tx, &adults);
    ps_query_i64(&q, (int64_t)want);
    while (ps_query_row(&q) && p->n < want) {
        if (ps_str_copy(p->rnokpp[p->n], 11, ps_stmt_text(q.st, 0)) == PS_OK)
            p->n++;
    }
    return ps_query_end(&q);
}

struct one {
    struct prep *p;
    const char *rnokpp;
    struct ps_share_code *codes;
};

static enum ps_err person_tx(struct ps_tx *tx, void *ctx)
{
    struct one *o = ctx;
    struct ps_actor me = {.kind = PS_ACTOR_CITIZEN, .id = ps_str_from_cstr(o->rnokpp)};
    struct ps_arena *a = ps_arena_new(4u << 20);
    struct ps_doc_view v[PS_DOCS_PER_PERSON_MAX];
    size_t n = 0;
    ps_diag_clear(&o->p->diag);
    enum ps_err e = a ? ps_docs_sync(tx, o->p->docs, &me, me.id, PS_STR("bench"), false, NULL,
                                     &o->p->diag)
                      : PS_ERR_NOMEM;
    if (e == PS_OK)
        e = ps_docs_list(tx, o->p->docs, &me, me.id, PS_STR_NULL, a, v, PS_DOCS_PER_PERSON_MAX,
                         &n, &o->p->diag);
    const struct ps_doc_view *card = NULL;
    for (size_t i = 0; e == PS_OK && i < n; i++) {
        if (strcmp(v[i].doc.type->id, "ua.id-card") == 0)
            card = &v[i];
    }
    if (e == PS_OK && !card)
        e = ps_diag_set(&o->p->diag, PS_ERR_NOTFOUND, "%s has no ID card", o->rnokpp);
    for (size_t k = 0; e == PS_OK && k < o->p->per; k++)
        e = ps_docs_share_create(tx, o->p->docs, &me, ps_str_from_cstr(card->doc.id),
                                 ps_docs_default_claims(card->doc.type), TTL_MS, &o->codes[k],
                                 &o->p->diag);
    ps_arena_free(a);
    return e;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: share_prep DATA_DIR PUBLIC_URL PERSONS CODES_PER_PERSON OUT\n");
        return 2;
    }
    char url[4200], key[4200];
    snprintf(url, sizeof url, "sqlite:%s/pocketstate.db", argv[1]);
    snprintf(key, sizeof key, "%s/master.key", argv[1]);
    struct prep p = {.n = strtoul(argv[3], NULL, 10), .per = strtoul(argv[4], NULL, 10)};
    struct ps_store_opts o;
    struct ps_store *store = NULL;
    struct ps_master_key *m = NULL;
    struct ps_diag d = {0};
    ps_store_opts_init(&o);
    o.url = url;
    o.migrate = false;
    o.create = false;
    o.max_batch = 1;
    struct ps_docs_opts dopts = {argv[2], NULL, false};
    if (p.n == 0 || p.n > PERSONS_MAX || p.per == 0 || p.per > 10000 ||
        ps_store_open(&o, &store, &d) != PS_OK ||
        ps_keystore_load_master(key, getenv(PS_MASTER_KEY_ENV), false, &m, NULL, NULL, &d) != PS_OK ||
        ps_docs_start(store, m, &dopts, &p.docs, &d) != PS_OK) {
        fprintf(stderr, "share_prep: %s\n", d.message[0] ? d.message : "bad arguments");
        return 1;
    }
    p.rnokpp = calloc(p.n, 11);
    p.out = fopen(argv[5], "w");
    struct ps_share_code *codes = calloc(p.per, sizeof *codes);
    int rc = p.rnokpp && p.out && codes && ps_store_read(store, adults_tx, &p, &d) == PS_OK ? 0 : 1;
    size_t made = 0;
    for (size_t i = 0; rc == 0 && i < p.n; i++) {
        struct one one = {&p, p.rnokpp[i], codes};
        if (ps_store_write(store, person_tx, &one, &d) != PS_OK) {
            fprintf(stderr, "share_prep: %s: %s\n", p.rnokpp[i],
                    p.diag.code ? p.diag.message : d.message);
            rc = 1;
            break;
        }
        for (size_t k = 0; k < p.per; k++)
            fprintf(p.out, "%s\n", codes[k].text);
        made += p.per;
    }
    if (p.out && fclose(p.out) != 0)
        rc = 1;
    fprintf(stderr, "share_prep: %zu codes for %zu persons\n", made, p.n);
    free(codes);
    free(p.rnokpp);
    ps_docs_stop(p.docs);
    ps_store_free(store);
    ps_keys_master_free(m);
    return rc;
}
