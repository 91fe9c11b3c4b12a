/* The smallest program that embeds libpsverify: verify one QR text against signer
 * certificates (PEM) or a PocketState trust list (JSON, root pinned with a JWK file) at a
 * given time, and print each check.
 *
 *   cc -Iinclude docs/examples/verify_example.c lib/verify/\*.c \
 *      -lssl -lcrypto -lz -lcbor -ljansson -lm -o verify_example
 *   ./verify_example signers.pem 'HC1:...' 1620064800
 *   ./verify_example trust-list.json 'PS1:...' 1800000000 root.jwk
 *
 * Exit 0 valid, 1 not valid, 2 usage or I/O error. */
#include <pocketstate/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(4u << 20);
    size_t n = buf ? fread(buf, 1, (4u << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s TRUST-FILE PAYLOAD [UNIX-TIME [ROOT-JWK]]\n", argv[0]);
        return 2;
    }
    size_t tlen = 0, rlen = 0;
    char *trust_text = slurp(argv[1], &tlen);
    char *root_text = argc == 5 ? slurp(argv[4], &rlen) : NULL;
    if (!trust_text || (argc == 5 && !root_text)) {
        fprintf(stderr, "cannot read the trust file or root key\n");
        return 2;
    }
    int64_t now = argc >= 4 ? strtoll(argv[3], NULL, 10) : (int64_t)time(NULL);

    /* 1. Load the trust store once; it is read-only afterwards and may be shared. */
    psv_trust *trust = psv_trust_new();
    struct psv_diag diag = {0};
    struct psv_root root = {root_text, rlen};
    enum psv_error e = trust_text[0] == '{'
                           ? psv_trust_load_list(trust, trust_text, tlen, root_text ? &root : NULL,
                                                 now, &diag)
                           : psv_trust_add_cert_pem(trust, trust_text, tlen, &diag);
    if (e != PSV_OK) {
        fprintf(stderr, "trust: %s: %s\n", psv_error_name(e), diag.message);
        return 2;
    }

    /* 2. Verify: the clock and the memory budget are the caller's. */
    struct psv_params params = {.trust = trust, .now = now, .mem_budget = 256 * 1024};
    struct psv_result r;
    e = psv_verify(&params, argv[2], strlen(argv[2]), &r);

    /* 3. Each check separately, then the claims. */
    printf("%s\n", r.valid ? "valid" : "not valid");
    printf("signature %s, validity %s, status %s, holder %s\n", psv_check_name(r.signature),
           psv_check_name(r.validity), psv_check_name(r.status), psv_check_name(r.holder));
    if (e != PSV_OK)
        printf("error %s: %s\n", psv_error_name(e), r.error.message);
    if (r.issuer)
        printf("issuer %s\n", r.issuer);
    if (r.claims_json)
        printf("claims %s\n", r.claims_json);
    psv_result_free(&r);
    psv_trust_free(trust);
    free(trust_text);
    free(root_text);
    return e == PSV_OK ? 0 : 1;
}
