/* ps_httpsig: signs HTTP requests with RFC 9421 for tests, scripts and agencies' reference
 * clients: makes a key file, prints its public part, and prints the Content-Digest,
 * Signature-Input and Signature header lines for a method, URL, body and extra headers. Not
 * installed. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "authn_tools.h"
#include "core/clock.h"

#define MAX_REPEAT 32

/* Prints "ps_httpsig: <what><detail>" to stderr; returns 1. */
static int complain(const char *what, const char *detail)
{
    fprintf(stderr, "ps_httpsig: %s%s\n", what, detail ? detail : "");
    return 1;
}

static int usage(void)
{
    fputs("usage: ps_httpsig keygen --keyid ID --out FILE [--alg ed25519|ecdsa-p256-sha256]\n"
          "       ps_httpsig public --key FILE\n"
          "       ps_httpsig sign --key FILE --method M --url URL [--body TEXT | --body-file FILE]\n"
          "                  [--header 'Name: value']... [--component C]... [--created UNIX]\n"
          "                  [--expires UNIX] [--nonce N | --no-nonce] [--tag T] [--label L]\n",
          stderr);
    return 2;
}

struct args {
    const char *cmd, *key, *keyid, *out, *alg, *method, *url, *body, *body_file, *created,
        *expires, *nonce, *tag, *label;
    int no_nonce;
    const char *headers[MAX_REPEAT], *components[MAX_REPEAT];
    size_t nheaders, ncomponents;
};

static const char **slot(struct args *a, const char *opt)
{
    static const char *const names[] = {"--key", "--keyid", "--out", "--alg", "--method",
                                        "--url", "--body", "--body-file", "--created",
                                        "--expires", "--nonce", "--tag", "--label"};
    const char **slots[] = {&a->key, &a->keyid, &a->out, &a->alg, &a->method, &a->url, &a->body,
                            &a->body_file, &a->created, &a->expires, &a->nonce, &a->tag, &a->label};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(opt, names[i]) == 0)
            return slots[i];
    if (strcmp(opt, "--header") == 0 && a->nheaders < MAX_REPEAT)
        return &a->headers[a->nheaders++];
    if (strcmp(opt, "--component") == 0 && a->ncomponents < MAX_REPEAT)
        return &a->components[a->ncomponents++];
    return NULL;
}

static int parse(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    if (argc < 2)
        return -1;
    a->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--no-nonce") == 0) {
            a->no_nonce = 1;
            continue;
        }
        const char **s = slot(a, argv[i]);
        if (!s || i + 1 >= argc)
            return -1;
        *s = argv[++i];
    }
    return 0;
}

static int keygen(const struct args *a)
{
    struct ps_sigclient_key k;
    struct ps_diag d = {0};
    enum ps_httpsig_alg alg = !a->alg || strcmp(a->alg, "ed25519") == 0 ? PS_HTTPSIG_ED25519
                              : strcmp(a->alg, "ecdsa-p256-sha256") == 0 ? PS_HTTPSIG_ECDSA_P256_SHA256
                                                                         : 0;
    if (!a->out || !alg || ps_sigclient_key_new(alg, a->keyid, &k) != PS_OK)
        return usage();
    if (ps_sigclient_key_save(a->out, &k, &d) != PS_OK)
        return complain(d.message, NULL);
    struct ps_buf b;
    ps_buf_init(&b, 4096);
    enum ps_err e = ps_sigclient_key_public_json(&k, &b);
    if (e == PS_OK)
        printf("%s\n", b.p);
    ps_buf_reset(&b);
    sodium_memzero(&k, sizeof k);
    return e == PS_OK ? 0 : 1;
}

static int read_file(const char *path, struct ps_buf *b)
{
    FILE *f = fopen(path, "rb"); /* the request body to sign */
    if (!f)
        return complain("cannot open ", path);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ps_buf_append(b, chunk, n) != PS_OK)
            rc = complain(path, " is over 16 MiB");
    if (ferror(f))
        rc = complain("cannot read ", path);
    fclose(f);
    return rc;
}

static int number(const char *s, int64_t def, int64_t *out)
{
    uint64_t v;
    if (!s) {
        *out = def;
        return 0;
    }
    if (ps_str_to_u64(ps_str_from_cstr(s), &v) != PS_OK || v > INT64_MAX)
        return complain(s, " is not a Unix time");
    *out = (int64_t)v;
    return 0;
}

/* "Name: value" lines into field lines (borrowing argv). */
static int header_lines(const struct args *a, struct ps_httpsig_field_line *l)
{
    for (size_t i = 0; i < a->nheaders; i++) {
        const char *colon = strchr(a->headers[i], ':');
        if (!colon || colon == a->headers[i])
            return complain("--header wants 'Name: value'", NULL);
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        l[i] = (struct ps_httpsig_field_line){{a->headers[i], (size_t)(colon - a->headers[i])},
                                              ps_str_from_cstr(v)};
    }
    return 0;
}

static int print_signed(const struct args *a, const struct ps_sigclient_key *k, struct ps_buf *body)
{
    struct ps_httpsig_field_line lines[MAX_REPEAT];
    struct ps_sigclient_request r = {.method = ps_str_from_cstr(a->method), .url = ps_str_from_cstr(a->url),
                                     .body = ps_buf_str(body), .headers = lines,
                                     .nheaders = a->nheaders,
                                     .components = a->ncomponents ? a->components : NULL,
                                     .ncomponents = a->ncomponents, .tag = PS_STR_NULL,
                                     .nonce = PS_STR_NULL, .label = PS_STR_NULL};
    char nonce[32];
    uint8_t rnd[16];
    if (header_lines(a, lines) != 0 || number(a->created, ps_clock_now_ms() / 1000, &r.created) != 0 ||
        number(a->expires, 0, &r.expires) != 0)
        return 1;
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2base64(nonce, sizeof nonce, rnd, sizeof rnd, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    r.nonce = a->no_nonce ? PS_STR_NULL : ps_str_from_cstr(a->nonce ? a->nonce : nonce);
    if (a->tag)
        r.tag = ps_str_from_cstr(a->tag);
    if (a->label)
        r.label = ps_str_from_cstr(a->label);
    struct ps_arena *ar = ps_arena_new(1 << 20);
    struct ps_buf cd, in, sig;
    struct ps_diag d = {0};
    ps_buf_init(&cd, 1024);
    ps_buf_init(&in, 8192);
    ps_buf_init(&sig, 1024);
    enum ps_err e = ar ? ps_sigclient_sign(ar, k, &r, &cd, &in, &sig, &d) : PS_ERR_NOMEM;
    if (e == PS_OK && cd.len)
        printf("Content-Digest: %s\n", cd.p);
    if (e == PS_OK)
        printf("Signature-Input: %s\nSignature: %s\n", in.p, sig.p);
    else
        fprintf(stderr, "ps_httpsig: %s\n", d.message);
    ps_buf_reset(&cd);
    ps_buf_reset(&in);
    ps_buf_reset(&sig);
    ps_arena_free(ar);
    return e == PS_OK ? 0 : 1;
}

static int sign(const struct args *a)
{
    struct ps_sigclient_key k;
    struct ps_diag d = {0};
    if (!a->key || !a->method || !a->url || (a->body && a->body_file))
        return usage();
    if (ps_sigclient_key_load(a->key, &k, &d) != PS_OK)
        return complain(d.message, NULL);
    struct ps_buf body;
    ps_buf_init(&body, 16 << 20);
    int rc = 0;
    if (a->body && ps_buf_append_cstr(&body, a->body) != PS_OK)
        rc = 1;
    if (rc == 0 && a->body_file && read_file(a->body_file, &body) != 0)
        rc = 1;
    if (rc == 0)
        rc = print_signed(a, &k, &body);
    ps_buf_reset(&body);
    sodium_memzero(&k, sizeof k);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a;
    if (sodium_init() < 0 || parse(argc, argv, &a) != 0)
        return usage();
    if (strcmp(a.cmd, "keygen") == 0)
        return keygen(&a);
    if (strcmp(a.cmd, "sign") == 0)
        return sign(&a);
    if (strcmp(a.cmd, "public") == 0 && a.key) {
        struct ps_sigclient_key k;
        struct ps_diag d = {0};
        struct ps_buf b;
        if (ps_sigclient_key_load(a.key, &k, &d) != PS_OK)
            return complain(d.message, NULL);
        ps_buf_init(&b, 4096);
        int rc = ps_sigclient_key_public_json(&k, &b) == PS_OK ? 0 : 1;
        if (rc == 0)
            printf("%s\n", b.p);
        ps_buf_reset(&b);
        return rc;
    }
    return usage();
}
