/* C2SP tlog-tiles paths, tile contents and entry bundles. The parser accepts exactly the
 * spelling the writer produces, so that one tile has one URL (and one cache entry). */
#include "tlog/tiles.h"

#include <string.h>

#include "core/alloc.h"

/* ---- paths ---- */

static size_t put_str(char *out, size_t at, const char *s)
{
    size_t n = strlen(s);
    memcpy(out + at, s, n);
    return at + n;
}

static size_t put_uint(char *out, size_t at, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out[at++] = tmp[--n];
    return at;
}

/* N as 3-digit groups, "x" before every group but the last: 1234067 -> x001/x234/067. */
static size_t put_index(char *out, size_t at, uint64_t v)
{
    unsigned groups[7];
    size_t n = 0;
    do {
        groups[n++] = (unsigned)(v % 1000);
        v /= 1000;
    } while (v);
    while (n--) {
        if (n)
            out[at++] = 'x';
        out[at++] = (char)('0' + groups[n] / 100);
        out[at++] = (char)('0' + groups[n] / 10 % 10);
        out[at++] = (char)('0' + groups[n] % 10);
        if (n)
            out[at++] = '/';
    }
    return at;
}

enum ps_err ps_tile_path(const struct ps_tile *t, char out[PS_TILE_PATH_MAX], size_t *len)
{
    if (t->width < 1 || t->width > PS_TILE_WIDTH || t->level > PS_TILE_MAX_LEVEL ||
        (t->entries && t->level != 0))
        return PS_ERR_INVALID;
    size_t at = put_str(out, 0, "tile/");
    if (t->entries) {
        at = put_str(out, at, "entries/");
    } else {
        at = put_uint(out, at, t->level);
        out[at++] = '/';
    }
    at = put_index(out, at, t->index);
    if (t->width < PS_TILE_WIDTH) {
        at = put_str(out, at, ".p/");
        at = put_uint(out, at, t->width);
    }
    PS_ASSERT(at < PS_TILE_PATH_MAX);
    out[at] = '\0';
    if (len)
        *len = at;
    return PS_OK;
}

/* A cursor over the path being parsed. */
struct cur {
    const char *p;
    size_t len, at;
};

static bool at_end(const struct cur *c)
{
    return c->at == c->len;
}

static bool peek_is(const struct cur *c, char ch)
{
    return c->at < c->len && c->p[c->at] == ch;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool take_prefix(struct cur *c, const char *lit)
{
    size_t n = strlen(lit);
    if (c->len - c->at < n || memcmp(c->p + c->at, lit, n) != 0)
        return false;
    c->at += n;
    return true;
}

/* A decimal in [min, max] without leading zeros, ending at '/', '.' or the end. */
static enum ps_err take_small(struct cur *c, unsigned min, unsigned max, const char *what,
                              unsigned *out, struct ps_diag *diag)
{
    size_t start = c->at;
    unsigned v = 0;
    while (c->at < c->len && is_digit(c->p[c->at])) {
        if (c->at - start >= 3)
            return ps_diag_set(diag, PS_ERR_INVALID, "%s has too many digits", what);
        v = v * 10 + (unsigned)(c->p[c->at] - '0');
        c->at++;
    }
    if (c->at == start)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s is not a decimal number", what);
    if (c->at - start > 1 && c->p[start] == '0')
        return ps_diag_set(diag, PS_ERR_INVALID, "%s has a leading zero", what);
    if (v < min || v > max)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s %u is outside %u..%u", what, v, min, max);
    *out = v;
    return PS_OK;
}

static enum ps_err take_group(struct cur *c, unsigned *out, struct ps_diag *diag)
{
    if (c->len - c->at < 3 || !is_digit(c->p[c->at]) || !is_digit(c->p[c->at + 1]) ||
        !is_digit(c->p[c->at + 2]))
        return ps_diag_set(diag, PS_ERR_INVALID, "tile index element is not 3 digits");
    *out = (unsigned)((c->p[c->at] - '0') * 100 + (c->p[c->at + 1] - '0') * 10 +
                      (c->p[c->at + 2] - '0'));
    c->at += 3;
    return PS_OK;
}

static enum ps_err take_index(struct cur *c, uint64_t *out, struct ps_diag *diag)
{
    uint64_t v = 0;
    bool first = true;
    for (;;) {
        bool more = peek_is(c, 'x');
        unsigned g = 0;
        if (more)
            c->at++;
        enum ps_err err = take_group(c, &g, diag);
        if (err)
            return err;
        if (more && first && g == 0)
            return ps_diag_set(diag, PS_ERR_INVALID, "tile index has a leading x000 element");
        if (__builtin_mul_overflow(v, 1000u, &v) || __builtin_add_overflow(v, g, &v))
            return ps_diag_set(diag, PS_ERR_INVALID, "tile index is above 2^64 - 1");
        first = false;
        if (!more)
            break;
        if (!peek_is(c, '/'))
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "tile index element x%03u is not followed "
                               "by /",
                               g);
        c->at++;
    }
    if (!at_end(c) && !peek_is(c, '.')) {
        if (peek_is(c, '/'))
            return ps_diag_set(diag, PS_ERR_INVALID, "tile index element before / lacks x");
        return ps_diag_set(diag, PS_ERR_INVALID, "unexpected byte after tile index");
    }
    *out = v;
    return PS_OK;
}

enum ps_err ps_tile_parse(struct ps_str path, struct ps_tile *out, struct ps_diag *diag)
{
    struct cur c = {path.p, path.len, 0};
    struct ps_tile t = {.width = PS_TILE_WIDTH};
    enum ps_err err;
    if (!path.p || !take_prefix(&c, "tile/"))
        return ps_diag_set(diag, PS_ERR_INVALID, "path does not start with tile/");
    if (take_prefix(&c, "entries/")) {
        t.entries = true;
    } else {
        err = take_small(&c, 0, PS_TILE_MAX_LEVEL, "tile level", &t.level, diag);
        if (err)
            return err;
        if (!take_prefix(&c, "/"))
            return ps_diag_set(diag, PS_ERR_INVALID, "tile level is not followed by /");
    }
    err = take_index(&c, &t.index, diag);
    if (err)
        return err;
    if (!at_end(&c)) {
        if (!take_prefix(&c, ".p/"))
            return ps_diag_set(diag, PS_ERR_INVALID, "partial tile suffix is not .p/<W>");
        err = take_small(&c, 1, PS_TILE_WIDTH - 1, "partial tile width", &t.width, diag);
        if (err)
            return err;
        if (!at_end(&c))
            return ps_diag_set(diag, PS_ERR_INVALID, "unexpected byte after tile width");
    }
    *out = t;
    return PS_OK;
}

/* ---- existence ---- */

/* Hashes (or entries) that exist at tile level `level` for tree_size leaves. */
static uint64_t hashes_at(unsigned level, uint64_t tree_size)
{
    if (level >= 8) /* 256^8 = 2^64 leaves per hash: never complete */
        return 0;
    return tree_size >> (PS_TILE_HEIGHT * level);
}

bool ps_tile_exists(const struct ps_tile *t, uint64_t tree_size)
{
    if (t->width < 1 || t->width > PS_TILE_WIDTH || (t->entries && t->level != 0))
        return false;
    uint64_t avail = hashes_at(t->level, tree_size);
    if (avail < t->width)
        return false;
    return t->index <= (avail - t->width) / PS_TILE_WIDTH;
}

unsigned ps_tile_partial_width(unsigned level, uint64_t tree_size)
{
    return (unsigned)(hashes_at(level, tree_size) % PS_TILE_WIDTH);
}

enum ps_err ps_tile_hashes(const struct ps_merkle_provider *p, const struct ps_tile *t,
                           struct ps_hash out[PS_TILE_WIDTH])
{
    if (t->entries || t->level >= 8 || t->width < 1 || t->width > PS_TILE_WIDTH)
        return PS_ERR_INVALID;
    /* the first hash index N * 256 must exist at tree level 8L, below 2^(64 - 8L) */
    unsigned bits = 64 - PS_TILE_HEIGHT * t->level;
    uint64_t limit = bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1; /* last index */
    if (t->index > (limit - (t->width - 1)) / PS_TILE_WIDTH)
        return PS_ERR_INVALID;
    return p->hashes(p->ctx, PS_TILE_HEIGHT * t->level, t->index * PS_TILE_WIDTH, t->width, out);
}

/* ---- every level from the stored levels ---- */

static enum ps_err adapter_hashes(void *ctx, unsigned level, uint64_t first, size_t count,
                                  struct ps_hash *out)
{
    const struct ps_tiles_adapter *a = ctx;
    unsigned r = level % PS_TILE_HEIGHT, base = level - r;
    if (level > 63 || count == 0)
        return PS_ERR_INVALID;
    /* indexes at `level` run below 2^(64 - level) */
    uint64_t last;
    if (__builtin_add_overflow(first, (uint64_t)(count - 1), &last) ||
        (level > 0 && (last >> (64 - level)) != 0))
        return PS_ERR_INVALID;
    if (r == 0)
        return a->stored->hashes(a->stored->ctx, level, first, count, out);
    struct ps_hash buf[PS_TILE_WIDTH / 2];
    size_t width = (size_t)1 << r;
    for (size_t i = 0; i < count; i++) {
        enum ps_err err = a->stored->hashes(a->stored->ctx, base, (first + i) << r, width, buf);
        if (err)
            return err;
        err = ps_merkle_reduce(buf, width, &out[i]);
        if (err)
            return err;
    }
    return PS_OK;
}

void ps_tiles_provider(struct ps_tiles_adapter *a, const struct ps_merkle_provider *stored,
                       struct ps_merkle_provider *out)
{
    a->stored = stored;
    out->hashes = adapter_hashes;
    out->ctx = a;
}

enum ps_err ps_tiles_emit_stored(void *ctx, unsigned level, uint64_t index,
                                 const struct ps_hash *hash)
{
    const struct ps_tiles_emit *e = ctx;
    if (level % PS_TILE_HEIGHT != 0)
        return PS_OK;
    return e->next(e->next_ctx, level, index, hash);
}

/* ---- entry bundles ---- */

enum ps_err ps_bundle_append(struct ps_buf *bundle, struct ps_str entry)
{
    if (entry.len > PS_BUNDLE_MAX_ENTRY)
        return PS_ERR_LIMIT;
    uint8_t len[2] = {(uint8_t)(entry.len >> 8), (uint8_t)entry.len};
    size_t need;
    if (!ps_size_add(bundle->len, 2 + entry.len, &need) || need > bundle->max)
        return PS_ERR_LIMIT; /* checked first, so that a failed append adds nothing */
    enum ps_err err = ps_buf_append(bundle, len, 2);
    if (!err && entry.len)
        err = ps_buf_append(bundle, entry.p, entry.len);
    return err;
}

enum ps_err ps_bundle_parse(struct ps_str bundle, struct ps_str *entries, size_t max, size_t *count,
                            struct ps_diag *diag)
{
    const uint8_t *p = (const uint8_t *)bundle.p;
    size_t at = 0, n = 0;
    *count = 0;
    while (at < bundle.len) {
        if (bundle.len - at < 2)
            return ps_diag_set(diag, PS_ERR_INVALID, "entry %zu: truncated length", n);
        size_t len = (size_t)p[at] << 8 | p[at + 1];
        at += 2;
        if (bundle.len - at < len)
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "entry %zu: truncated (%zu bytes "
                               "announced, %zu left)",
                               n, len, bundle.len - at);
        if (n == max)
            return ps_diag_set(diag, PS_ERR_LIMIT, "more than %zu entries", max);
        entries[n++] = (struct ps_str){bundle.p + at, len};
        at += len;
    }
    *count = n;
    return PS_OK;
}

enum ps_err ps_bundle_verify(struct ps_str bundle, const struct ps_hash *tile, size_t width,
                             struct ps_diag *diag)
{
    struct ps_str entries[PS_TILE_WIDTH];
    size_t n;
    if (width < 1 || width > PS_TILE_WIDTH)
        return ps_diag_set(diag, PS_ERR_INVALID, "tile width %zu is outside 1..256", width);
    enum ps_err err = ps_bundle_parse(bundle, entries, PS_TILE_WIDTH, &n, diag);
    if (err == PS_ERR_LIMIT)
        return ps_diag_set(diag, PS_ERR_INVALID, "bundle holds more than 256 entries");
    if (err)
        return err;
    if (n != width)
        return ps_diag_set(diag, PS_ERR_INVALID, "bundle holds %zu entries, tile %zu", n, width);
    for (size_t i = 0; i < n; i++) {
        struct ps_hash h;
        err = ps_merkle_leaf_hash(entries[i].p, entries[i].len, &h);
        if (err)
            return ps_diag_set(diag, err, "hashing entry %zu failed", i);
        if (!ps_hash_eq(&h, &tile[i]))
            return ps_diag_set(diag, PS_ERR_CRYPTO, "entry %zu does not match its tile hash", i);
    }
    return PS_OK;
}
