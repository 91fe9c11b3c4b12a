/* Key files of the test tools: small JSON objects read and written through the CLI's secret
 * file helpers (atomic write with mode 0600; reads refuse files others can access), because
 * they hold private keys. */
#include <sodium.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "tools_int.h"

enum ps_err tools_read_json(const char *path, json_t **out, struct ps_diag *diag)
{
    json_error_t je;
    size_t n = 0;
    *out = NULL;
    char *buf = ps_malloc(TOOLS_FILE_MAX + 1);
    if (!buf)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = ps_cli_read_secret_file(path, buf, TOOLS_FILE_MAX + 1, &n, diag);
    if (e == PS_OK && (!(*out = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je)) ||
                       !json_is_object(*out)))
        e = ps_diag_set(diag, PS_ERR_INVALID, "%s: not a JSON object (%s)", path, je.text);
    if (e != PS_OK && *out) {
        json_decref(*out);
        *out = NULL;
    }
    sodium_memzero(buf, TOOLS_FILE_MAX + 1);
    ps_free(buf);
    return e;
}

enum ps_err tools_write_json(const char *path, const json_t *j, struct ps_diag *diag)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = ps_cli_write_secret_file(path, ps_str_from_cstr(text), diag);
    sodium_memzero(text, strlen(text));
    free(text);
    return e;
}

enum ps_err tools_b64_member(const json_t *obj, const char *key, uint8_t *out, size_t n,
                             size_t cap, size_t *len, struct ps_diag *diag)
{
    const char *s = json_string_value(json_object_get(obj, key));
    size_t got = 0;
    if (!s || sodium_base642bin(out, n ? n : cap, s, strlen(s), NULL, &got, NULL,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        (n && got != n))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: missing, not base64url or of the wrong size",
                           key);
    if (len)
        *len = got;
    return PS_OK;
}

json_t *tools_b64_json(const void *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = ps_malloc(cap);
    if (!s)
        return NULL;
    sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *j = json_string(s);
    ps_free(s);
    return j;
}
