/* ps_authn: a software WebAuthn authenticator for tests and scripts. It keeps one credential
 * in a key file and, given PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON on
 * stdin (or an object with them under "publicKey"), prints the RegistrationResponseJSON /
 * AuthenticationResponseJSON a browser would send. Not installed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "authn_tools.h"
#include "identity/webauthn.h"

/* Prints "ps_authn: <message>" to stderr; returns -1. */
static int complain(const char *what, const char *detail)
{
    fprintf(stderr, "ps_authn: %s%s\n", what, detail ? detail : "");
    return -1;
}

static int usage(void)
{
    fputs("usage: ps_authn create --key FILE --origin ORIGIN [--alg es256|eddsa] [--packed] < options.json\n"
          "       ps_authn get --key FILE --origin ORIGIN < options.json\n"
          "       ps_authn info --key FILE\n",
          stderr);
    return 2;
}

struct args {
    const char *cmd, *key, *origin, *alg;
    int packed;
};

static int parse(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    if (argc < 2)
        return -1;
    a->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--key") == 0      ? &a->key
                            : strcmp(argv[i], "--origin") == 0 ? &a->origin
                            : strcmp(argv[i], "--alg") == 0    ? &a->alg
                                                               : NULL;
        if (strcmp(argv[i], "--packed") == 0)
            a->packed = 1;
        else if (!slot || i + 1 >= argc)
            return -1;
        else
            *slot = argv[++i];
    }
    return a->key ? 0 : -1;
}

static json_t *read_stdin(void)
{
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, stdin);
    if (n == sizeof buf || ferror(stdin)) {
        fputs("ps_authn: options on stdin unreadable or over 64 KiB\n", stderr);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(buf, n, 0, &je);
    if (!json_is_object(j)) {
        fprintf(stderr, "ps_authn: options are not a JSON object: %s\n", je.text);
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Loads the key file, or makes a new authenticator when there is none (create only). */
static int open_key(const struct args *a, bool may_create, struct ps_softauthn *sa)
{
    struct ps_diag d = {0};
    int alg = a->alg && strcmp(a->alg, "eddsa") == 0 ? PS_WEBAUTHN_EDDSA : PS_WEBAUTHN_ES256;
    if (a->alg && strcmp(a->alg, "eddsa") != 0 && strcmp(a->alg, "es256") != 0)
        return complain("--alg is es256 or eddsa", NULL);
    enum ps_err e = ps_softauthn_load(a->key, sa, &d);
    if (e == PS_ERR_NOTFOUND && may_create)
        e = ps_softauthn_init(sa, alg);
    else if (e == PS_OK && a->alg && sa->alg != alg)
        return complain(a->key, " holds another algorithm");
    if (e != PS_OK)
        return complain(d.message[0] ? d.message : ps_err_name(e), NULL);
    return 0;
}

static int run(const struct args *a)
{
    struct ps_softauthn sa;
    bool create = strcmp(a->cmd, "create") == 0;
    if (open_key(a, create, &sa) != 0)
        return 1;
    if (strcmp(a->cmd, "info") == 0) {
        printf("{\"alg\":%d,\"registered\":%s,\"rpId\":\"%s\",\"signCount\":%u}\n", sa.alg,
               sa.has_credential ? "true" : "false", sa.rp_id, sa.sign_count);
        return 0;
    }
    if (!a->origin || (!create && strcmp(a->cmd, "get") != 0))
        return usage();
    json_t *opts = read_stdin();
    if (!opts)
        return 1;
    struct ps_buf out;
    struct ps_diag d = {0};
    ps_buf_init(&out, 1 << 17);
    struct ps_str origin = ps_str_from_cstr(a->origin);
    enum ps_err e = create ? ps_softauthn_create(&sa, opts, origin, a->packed, &out, &d)
                           : ps_softauthn_get(&sa, opts, origin, &out, &d);
    if (e == PS_OK)
        e = ps_softauthn_save(a->key, &sa, &d);
    if (e == PS_OK)
        printf("%s\n", out.p);
    else
        fprintf(stderr, "ps_authn: %s\n", d.message);
    ps_buf_reset(&out);
    json_decref(opts);
    return e == PS_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct args a;
    if (parse(argc, argv, &a) != 0)
        return usage();
    return run(&a);
}
