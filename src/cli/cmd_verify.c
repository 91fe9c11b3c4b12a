/* `pocketstate verify`: checks a PocketState presentation (PS1:) or an EU Digital COVID
 * Certificate (HC1:) offline with libpsverify, from the QR text, a photo or screenshot of the
 * QR, or standard input, against trust lists / signer certificates and an optional status
 * list. Exit 0 valid, 1 not valid, 2 usage or I/O error. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/qr_image.h"
#include "pocketstate/verify.h"

#define MAX_TRUST 16
#define MAX_FILE (4u << 20)
#define MAX_PAYLOAD (64u * 1024)

struct opts {
    const char *trust[MAX_TRUST];
    size_t ntrust;
    const char *status, *root, *at, *image, *payload;
    bool json, stdin_payload;
};

static const char HELP[] =
    "Usage: pocketstate verify [--trust FILE]... [--root FILE] [--status FILE] [--at TIME]\n"
    "                          [--json] (PAYLOAD | --image FILE | -)\n\n"
    "Verify a PocketState presentation (PS1:) or an EU Digital COVID Certificate (HC1:)\n"
    "offline: signature, validity window, revocation status and, for presentations the\n"
    "phone made offline, the holder's signature.\n\n"
    "Arguments:\n"
    "  PAYLOAD           the QR text (\"PS1:...\" or \"HC1:...\")\n"
    "  -                 read the QR text from standard input\n\n"
    "Options:\n"
    "  --image FILE      read the QR code from a PNG or JPEG photo or screenshot\n"
    "  --trust FILE      the platform's trust list (JSON), a PEM bundle of X.509 signer\n"
    "                    certificates, or one base64 DER certificate; repeatable (up to 16)\n"
    "  --root FILE       the platform root public key (JWK) that signs the trust list; without\n"
    "                    it the list is checked against the key it names (integrity only)\n"
    "  --status FILE     a status list token (CWT, application/statuslist+cwt)\n"
    "  --at TIME         verify as of TIME (RFC 3339, e.g. 2027-01-15T10:00:00Z); default now\n"
    "  --json            print one JSON object (docs/formats/ps1.md lists its members)\n"
    "  -h, --help        show this help\n\n"
    "Exit status: 0 valid, 1 not valid, 2 usage or I/O error.\n";

#define usage(...) ps_cli_usage("verify", __VA_ARGS__)

/* Flag VALUE or --flag=VALUE at argv[*i]; NULL when a needed value is missing. */
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i][n + 1] ? argv[*i] + n + 1 : NULL;
    if (*i + 1 >= argc || !argv[*i + 1][0])
        return NULL;
    return argv[++*i];
}

static bool is_flag(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int parse_one(int argc, char **argv, int *i, struct opts *o)
{
    static const char *const valued[] = {"--trust", "--status", "--root", "--at", "--image"};
    const char *a = argv[*i];
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
        if (!is_flag(a, valued[k]))
            continue;
        const char *v = flag_value(argc, argv, i, valued[k]);
        if (!v)
            return usage("%s needs a value", valued[k]);
        const char **slot = k == 1 ? &o->status : k == 2 ? &o->root : k == 3 ? &o->at
                            : k == 4 ? &o->image : NULL;
        if (k == 0) {
            if (o->ntrust == MAX_TRUST)
                return usage("at most 16 --trust files");
            o->trust[o->ntrust++] = v;
        } else if (*slot) {
            return usage("%s given twice", valued[k]);
        } else {
            *slot = v;
        }
        return PS_CLI_CONTINUE;
    }
    if (strcmp(a, "--json") == 0)
        o->json = true;
    else if (strcmp(a, "-") == 0 && !o->stdin_payload && !o->payload)
        o->stdin_payload = true;
    else if (a[0] == '-' && a[1] != '\0')
        return usage("unknown option '%.64s'", a);
    else if (o->payload || o->stdin_payload)
        return usage("more than one payload");
    else
        o->payload = a;
    return PS_CLI_CONTINUE;
}

static int parse(int argc, char **argv, struct opts *o)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(HELP, stdout);
            return PS_EXIT_OK;
        }
        int rc = parse_one(argc, argv, &i, o);
        if (rc != PS_CLI_CONTINUE)
            return rc;
    }
    int sources = (o->payload != NULL) + o->stdin_payload + (o->image != NULL);
    if (sources != 1)
        return usage("give exactly one of PAYLOAD, --image FILE or -");
    return PS_CLI_CONTINUE;
}

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" to Unix seconds. */
static bool parse_rfc3339(const char *s, int64_t *out)
{
    int v[6] = {0};
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
    for (int f = 0; f < 6; f++) {
        for (int k = 0; k < width[f]; k++, s++) {
            if (!isdigit((unsigned char)*s))
                return false;
            v[f] = v[f] * 10 + (*s - '0');
        }
        if (sep[f] && *s++ != sep[f] && !(f == 2 && (s[-1] == 't' || s[-1] == ' ')))
            return false;
    }
    if (*s == '.')
        while (isdigit((unsigned char)*++s)) {
        }
    int64_t off = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if ((*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) &&
               isdigit((unsigned char)s[2]) && s[3] == ':' && isdigit((unsigned char)s[4]) &&
               isdigit((unsigned char)s[5])) {
        off = ((s[1] - '0') * 10 + (s[2] - '0')) * 3600 + ((s[4] - '0') * 10 + (s[5] - '0')) * 60;
        off = *s == '+' ? off : -off;
        s += 6;
    } else {
        return false;
    }
    if (*s || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
        return false;
    struct tm tm = {.tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2], .tm_hour = v[3],
                    .tm_min = v[4], .tm_sec = v[5]};
    *out = (int64_t)timegm(&tm) - off;
    return true;
}

static int read_file(const char *path, struct ps_buf *b, size_t max)
{
    ps_buf_init(b, max);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "pocketstate: verify: %s: cannot open\n", path);
        return PS_EXIT_USAGE;
    }
    char chunk[8192];
    size_t n;
    enum ps_err e = PS_OK;
    while (e == PS_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        e = ps_buf_append(b, chunk, n);
    bool bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad || e != PS_OK) {
        fprintf(stderr, "pocketstate: verify: %s: %s\n", path,
                bad ? "read error" : "larger than the limit");
        return PS_EXIT_USAGE;
    }
    return PS_CLI_CONTINUE;
}

/* Standard base64 of DER without whitespace into der (for one-certificate files). */
static bool b64_der(const char *s, size_t n, struct ps_buf *der)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v = isupper(c) ? c - 'A' : islower(c) ? c - 'a' + 26 : isdigit(c) ? c - '0' + 52
                : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (c == '=' || isspace(c))
            continue;
        if (v < 0)
            return false;
        acc = acc << 6 | (uint32_t)v;
        if ((bits += 6) >= 8) {
            bits -= 8;
            char byte = (char)(acc >> bits);
            if (ps_buf_append(der, &byte, 1) != PS_OK)
                return false;
        }
    }
    return der->len > 0;
}

/* One --trust file into t; a file that does not load is reported as a trust-list error. */
static int load_trust(psv_trust *t, const char *path, const struct psv_root *root, int64_t now,
                      struct psv_diag *d)
{
    struct ps_buf b;
    int rc = read_file(path, &b, MAX_FILE);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    size_t i = 0;
    while (i < b.len && isspace((unsigned char)b.p[i]))
        i++;
    enum psv_error e;
    if (i < b.len && b.p[i] == '{') {
        if (!root)
            fprintf(stderr, "pocketstate: verify: %s: trust list root key not pinned "
                            "(--root): checked against the key it names\n", path);
        e = psv_trust_load_list(t, b.p, b.len, root, now, d);
    } else if (strstr(b.p ? b.p : "", "-----BEGIN CERTIFICATE-----")) {
        e = psv_trust_add_cert_pem(t, b.p, b.len, d);
    } else {
        struct ps_buf der;
        ps_buf_init(&der, MAX_FILE);
        e = PSV_E_TRUST_LIST;
        if (b64_der(b.p ? b.p : "", b.len, &der))
            e = psv_trust_add_cert_der(t, (const uint8_t *)der.p, der.len, d);
        else if (snprintf(d->message, sizeof d->message, "%s: not a trust list, PEM or "
                          "base64 DER certificate", path) < 0)
            d->message[0] = '\0';
        d->code = e;
        ps_buf_reset(&der);
    }
    ps_buf_reset(&b);
    return e == PSV_OK ? PS_CLI_CONTINUE : PS_EXIT_FAIL;
}

/* Removes surrounding whitespace (a QR text never has any; stdin ends with a newline). */
static struct ps_str trim(const char *p, size_t n)
{
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    while (n && isspace((unsigned char)*p)) {
        p++;
        n--;
    }
    return (struct ps_str){p, n};
}

static int get_payload(const struct opts *o, struct ps_buf *b)
{
    if (o->payload) {
        ps_buf_init(b, MAX_PAYLOAD);
        return ps_buf_append_cstr(b, o->payload) == PS_OK ? PS_CLI_CONTINUE
                                                          : usage("payload too long");
    }
    if (o->stdin_payload)
        return read_file("-", b, MAX_PAYLOAD);
    struct ps_diag d = {0};
    ps_buf_init(b, MAX_PAYLOAD);
    if (ps_cli_qr_from_image(o->image, b, &d) != PS_OK) {
        fprintf(stderr, "pocketstate: verify: %s: %s\n", o->image, d.message);
        return d.code == PS_ERR_INVALID ? PS_EXIT_FAIL : PS_EXIT_USAGE;
    }
    return PS_CLI_CONTINUE;
}

static void fmt_time(bool has, int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!has || !gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%s", has ? "?" : "");
}

static void kid_b64(const struct psv_result *r, char out[96])
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < r->kid_len; i += 3) {
        uint32_t v = (uint32_t)r->kid[i] << 16 | (i + 1 < r->kid_len ? r->kid[i + 1] << 8 : 0) |
                     (i + 2 < r->kid_len ? r->kid[i + 2] : 0);
        out[o++] = A[v >> 18];
        out[o++] = A[v >> 12 & 63];
        out[o++] = i + 1 < r->kid_len ? A[v >> 6 & 63] : '=';
        out[o++] = i + 2 < r->kid_len ? A[v & 63] : '=';
    }
    out[o] = '\0';
}

static const char *format_name(enum psv_format f)
{
    return f == PSV_FORMAT_PS1 ? "PS1" : f == PSV_FORMAT_HC1 ? "HC1" : NULL;
}

/* A JSON string or null. */
static enum ps_err jstr(struct ps_buf *b, const char *s)
{
    return s && *s ? ps_buf_append_json_str(b, ps_str_from_cstr(s)) : ps_buf_append_cstr(b, "null");
}

static void print_json(const struct psv_result *r)
{
    struct ps_buf b;
    ps_buf_init(&b, 1u << 20);
    char kid[96], iat[32], exp[32];
    kid_b64(r, kid);
    fmt_time(r->has_issued_at, r->issued_at, iat);
    fmt_time(r->has_expires_at, r->expires_at, exp);
    enum ps_err e = ps_buf_printf(&b, "{\"valid\":%s,\"format\":", r->valid ? "true" : "false");
    if (e == PS_OK && (e = jstr(&b, format_name(r->format))) == PS_OK &&
        (e = ps_buf_append_cstr(&b, ",\"kid\":")) == PS_OK && (e = jstr(&b, kid)) == PS_OK &&
        (e = ps_buf_append_cstr(&b, ",\"issuer\":")) == PS_OK && (e = jstr(&b, r->issuer)) == PS_OK &&
        (e = ps_buf_append_cstr(&b, ",\"issued_at\":")) == PS_OK && (e = jstr(&b, iat)) == PS_OK &&
        (e = ps_buf_append_cstr(&b, ",\"expires_at\":")) == PS_OK && (e = jstr(&b, exp)) == PS_OK)
        e = ps_buf_printf(&b, ",\"signature\":\"%s\",\"validity\":\"%s\",\"status\":\"%s\","
                          "\"claims\":%s", psv_check_name(r->signature),
                          psv_check_name(r->validity), psv_check_name(r->status),
                          r->claims_json ? r->claims_json : "null");
    if (e == PS_OK && !r->valid && (e = ps_buf_printf(&b, ",\"error\":{\"code\":\"%s\",\"message\":",
                                                      psv_error_name(r->error.code))) == PS_OK &&
        (e = ps_buf_append_json_str(&b, ps_str_from_cstr(r->error.message))) == PS_OK)
        e = ps_buf_append_cstr(&b, "}");
    if (e == PS_OK)
        e = ps_buf_append_cstr(&b, "}");
    if (e == PS_OK)
        printf("%s\n", b.p);
    else
        fprintf(stderr, "pocketstate: verify: result too large to print\n");
    ps_buf_reset(&b);
}

static void print_human(const struct psv_result *r)
{
    char kid[96], iat[32], exp[32];
    kid_b64(r, kid);
    fmt_time(r->has_issued_at, r->issued_at, iat);
    fmt_time(r->has_expires_at, r->expires_at, exp);
    const char *fmt = r->format == PSV_FORMAT_PS1   ? "PocketState presentation"
                      : r->format == PSV_FORMAT_HC1 ? "EU Digital COVID Certificate"
                                                    : "unknown payload";
    printf("%s: %s%s%s%s\n", r->valid ? "VALID" : "NOT VALID", fmt,
           r->doc_type ? " (" : "", r->doc_type ? r->doc_type : "", r->doc_type ? ")" : "");
    if (!r->valid)
        printf("  reason:    %s: %s\n", psv_error_name(r->error.code), r->error.message);
    if (r->issuer || r->kid_len)
        printf("  issuer:    %s (key %s)\n", r->issuer ? r->issuer : "-", kid);
    if (r->has_issued_at || r->has_expires_at)
        printf("  issued:    %s\n  expires:   %s\n", iat[0] ? iat : "-", exp[0] ? exp : "-");
    printf("  signature: %s\n  validity:  %s\n  status:    %s\n", psv_check_name(r->signature),
           psv_check_name(r->validity), psv_check_name(r->status));
    if (r->format == PSV_FORMAT_PS1)
        printf("  holder:    %s\n", psv_check_name(r->holder));
    if (r->claims_json)
        printf("  claims:    %s\n", r->claims_json);
}

/* Trust and status list loading; on a trust-list failure *r gets the error. */
static int load_all(const struct opts *o, int64_t now, psv_trust *t, psv_status_list **sl,
                    struct psv_diag *d)
{
    struct ps_buf rootb = {0};
    struct psv_root root;
    int rc = PS_CLI_CONTINUE;
    if (o->root && (rc = read_file(o->root, &rootb, 65536)) == PS_CLI_CONTINUE)
        root = (struct psv_root){rootb.p ? rootb.p : "", rootb.len};
    for (size_t i = 0; rc == PS_CLI_CONTINUE && i < o->ntrust; i++)
        rc = load_trust(t, o->trust[i], o->root ? &root : NULL, now, d);
    ps_buf_reset(&rootb);
    if (rc != PS_CLI_CONTINUE || !o->status)
        return rc;
    struct ps_buf sb;
    if ((rc = read_file(o->status, &sb, MAX_FILE)) != PS_CLI_CONTINUE)
        return rc;
    if (psv_status_list_parse(t, (const uint8_t *)sb.p, sb.len, now, 0, sl, d) != PSV_OK)
        rc = PS_EXIT_FAIL;
    ps_buf_reset(&sb);
    return rc;
}

static int dispatch(const struct ps_cli_cmd *cmd, int argc, char **argv)
{
    struct opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    int64_t now = (int64_t)time(NULL);
    if (o.at && !parse_rfc3339(o.at, &now))
        return usage("--at wants an RFC 3339 time like 2027-01-15T10:00:00Z, not '%.64s'", o.at);
    struct ps_buf payload = {0};
    if ((rc = get_payload(&o, &payload)) != PS_CLI_CONTINUE)
        return rc;
    psv_trust *t = psv_trust_new();
    psv_status_list *sl = NULL;
    struct psv_diag d = {0};
    struct psv_result r = {0};
    rc = t ? load_all(&o, now, t, &sl, &d) : PS_EXIT_USAGE;
    if (rc == PS_CLI_CONTINUE) {
        struct ps_str s = trim(payload.p ? payload.p : "", payload.len);
        struct psv_params p = {.trust = t, .status = sl, .now = now};
        rc = psv_verify(&p, s.p, s.len, &r) == PSV_OK ? PS_EXIT_OK : PS_EXIT_FAIL;
    } else if (rc == PS_EXIT_FAIL) { /* a trust or status list that did not load */
        r.error = d;
    }
    if (rc != PS_EXIT_USAGE)
        o.json ? print_json(&r) : print_human(&r);
    psv_result_free(&r);
    psv_status_list_free(sl);
    psv_trust_free(t);
    ps_buf_reset(&payload);
    (void)cmd;
    return rc;
}

const struct ps_cli_cmd ps_cli_cmd_verify = {
    .name = "verify",
    .summary = "verify a document QR offline (PS1: presentations, HC1: EU DCC)",
    .help = HELP,
    .dispatch = dispatch,
};
