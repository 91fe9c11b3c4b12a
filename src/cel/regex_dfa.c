/* A deterministic automaton for the constant patterns rules use most (form validation:
 * ^[0-9]{10}$, ^[A-Z]{2}\d{6}$, ^\d{5}(-\d{4})?$, ^[a-z0-9._-]+@[a-z0-9.-]+$): ASCII literals,
 * classes, '.', groups, alternation, the quantifiers, '^' and '$' at the ends. Built at check
 * time next to the PCRE2 code (Glushkov positions, then subsets), it answers matches() for an
 * ASCII subject with one table step per byte, without PCRE2's per-call setup; a subject with
 * another byte before the answer is known, and every pattern outside the subset, go to PCRE2,
 * whose reading (UTF mode, \d \w \s in ASCII, '.' not '\n', '$' only at the very end) this
 * one follows. docs/internals/cel.md "Regular expressions"; fuzz/fuzz_cel_regex.c checks the
 * two agree. */
#include "cel/cel_int.h"

#define NPOS 63                /* positions; bit 63 stands for the start */
#define START_BIT (1ULL << 63)
#define MAX_STATES 254         /* ids 1..254; 0 dead, 255 "not ASCII: ask PCRE2" */
#define NOT_ASCII 255
#define MAX_WORK 20000         /* atoms parsed, re-parses for {n,m} included */
#define MAX_NEST 32

/* Transitions are entries of next: the offset of the target state's row, with DECIDED set when
 * the answer is known there (the dead state, an accepting state of a pattern without '$', or
 * a non-ASCII byte: the entry ASK_PCRE2). */
#define DECIDED 0x8000u
#define ASK_PCRE2 0xffffu

struct cel_dfa {
    uint16_t start;     /* entry of the start state */
    uint8_t cls[256];   /* byte -> class; bytes >= 0x80: the class that leads to ASK_PCRE2 */
    uint8_t accept[256]; /* by state */
    uint8_t nclasses;
    uint16_t next[];    /* [state * nclasses + class] */
};

/* ASCII sets: bit c of lo (c < 64) or of hi (c - 64). */
struct aset {
    uint64_t lo, hi;
};

/* A piece of the pattern as Glushkov sees it. */
struct frag {
    uint64_t first, last;
    bool nullable;
};

struct glushkov {
    const char *p;
    size_t end, i;
    unsigned npos, work, nest;
    bool fail, dot_ok;
    unsigned top_branches;
    uint64_t follow[NPOS + 1];
    struct aset set[NPOS];
};

static const struct frag EMPTY = {0, 0, true};

static struct frag bad(struct glushkov *g)
{
    g->fail = true;
    return EMPTY;
}

static int peek(const struct glushkov *g)
{
    return g->i < g->end ? (unsigned char)g->p[g->i] : -1;
}

static void aset_add(struct aset *s, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++) {
        if (c < 64)
            s->lo |= 1ULL << c;
        else
            s->hi |= 1ULL << (c - 64);
    }
}

static bool aset_has(const struct aset *s, unsigned c)
{
    return c < 64 ? (s->lo >> c) & 1 : (s->hi >> (c - 64)) & 1;
}

/* \d \w \s and their complements (within ASCII), as PCRE2 reads them without UCP. */
static bool perl_class(char e, struct aset *out)
{
    struct aset s = {0, 0};
    switch (e | 0x20) {
    case 'd': aset_add(&s, '0', '9'); break;
    case 'w':
        aset_add(&s, '0', '9');
        aset_add(&s, 'A', 'Z');
        aset_add(&s, 'a', 'z');
        aset_add(&s, '_', '_');
        break;
    case 's':
        aset_add(&s, '\t', '\r'); /* \t \n \v \f \r */
        aset_add(&s, ' ', ' ');
        break;
    default: return false;
    }
    if (e >= 'A' && e <= 'Z') {
        s.lo = ~s.lo;
        s.hi = ~s.hi;
    }
    out->lo |= s.lo;
    out->hi |= s.hi;
    return true;
}

/* The byte an escape stands for (\t \n \v \f \r, escaped punctuation), or -1. */
static int escaped_byte(int e)
{
    switch (e) {
    case 't': return '\t';
    case 'n': return '\n';
    case 'v': return '\v';
    case 'f': return '\f';
    case 'r': return '\r';
    default:
        return e > ' ' && e < 0x7f && !(e >= '0' && e <= '9') && !((e | 0x20) >= 'a' &&
                                                                  (e | 0x20) <= 'z')
                   ? e
                   : -1;
    }
}

/* One member of a class ("a", "\.", "\n"), or -1 (unsupported, or the end). */
static int class_byte(struct glushkov *g)
{
    int c = peek(g);
    if (c < 0 || c >= 0x80 || c == '[' || c == ']')
        return -1;
    g->i++;
    if (c != '\\')
        return c;
    c = peek(g);
    g->i++;
    return escaped_byte(c);
}

/* [...] after its '['; false when outside the subset. */
static bool parse_class(struct glushkov *g, struct aset *out)
{
    bool negate = peek(g) == '^';
    g->i += negate;
    if (peek(g) == ']')
        return false; /* "[]a]": a literal ']' in both dialects, kept out for simplicity */
    *out = (struct aset){0, 0};
    while (peek(g) != ']') {
        if (peek(g) == '\\' && g->i + 1 < g->end && perl_class(g->p[g->i + 1], out)) {
            g->i += 2;
            continue;
        }
        int lo = class_byte(g), hi = lo;
        if (lo < 0)
            return false;
        if (peek(g) == '-' && g->i + 1 < g->end && g->p[g->i + 1] != ']') {
            g->i++;
            if (peek(g) == '\\' && g->i + 1 < g->end && perl_class(g->p[g->i + 1], out))
                return false; /* [a-\d] */
            if ((hi = class_byte(g)) < lo)
                return false;
        }
        aset_add(out, (unsigned)lo, (unsigned)hi);
    }
    g->i++;
    if (negate) {
        out->lo = ~out->lo;
        out->hi = ~out->hi;
    }
    return true;
}

static struct frag position(struct glushkov *g, struct aset s)
{
    if (g->npos >= NPOS)
        return bad(g);
    unsigned p = g->npos++;
    g->set[p] = s;
    g->follow[p] = 0;
    return (struct frag){1ULL << p, 1ULL << p, false};
}

static void add_follow(struct glushkov *g, uint64_t from, uint64_t to)
{
    for (unsigned p = 0; p < NPOS; p++)
        if ((from >> p) & 1)
            g->follow[p] |= to;
}

static struct frag concat(struct glushkov *g, struct frag a, struct frag b)
{
    add_follow(g, a.last, b.first);
    return (struct frag){a.first | (a.nullable ? b.first : 0),
                         b.last | (b.nullable ? a.last : 0), a.nullable && b.nullable};
}

static struct frag loop(struct glushkov *g, struct frag a, bool nullable)
{
    add_follow(g, a.last, a.first);
    a.nullable = a.nullable || nullable;
    return a;
}

static struct frag parse_alt(struct glushkov *g);

static struct frag parse_group(struct glushkov *g)
{
    g->i++;
    if (peek(g) == '?') {
        if (g->i + 1 >= g->end || g->p[g->i + 1] != ':')
            return bad(g); /* flags, named groups */
        g->i += 2;
    }
    if (++g->nest > MAX_NEST)
        return bad(g);
    struct frag f = parse_alt(g);
    g->nest--;
    if (peek(g) != ')')
        return bad(g);
    g->i++;
    return f;
}

static struct frag parse_atom(struct glushkov *g)
{
    if (++g->work > MAX_WORK)
        return bad(g);
    int c = peek(g);
    struct aset s = {0, 0};
    if (c == '(')
        return parse_group(g);
    g->i++;
    if (c == '[')
        return parse_class(g, &s) ? position(g, s) : bad(g);
    if (c == '.') {
        if (!g->dot_ok)
            return bad(g);
        aset_add(&s, 0, 0x7f);
        s.lo &= ~(1ULL << '\n');
        return position(g, s);
    }
    if (c == '\\') {
        int e = peek(g), b;
        g->i++;
        if (e >= 0 && perl_class((char)e, &s))
            return position(g, s);
        if ((b = escaped_byte(e)) < 0)
            return bad(g);
        aset_add(&s, (unsigned)b, (unsigned)b);
        return position(g, s);
    }
    if (c < 0 || c >= 0x80 || strchr("^$|)*+?{}]", c))
        return bad(g);
    aset_add(&s, (unsigned)c, (unsigned)c);
    return position(g, s);
}

/* {n}, {n,}, {n,m} after '{': false when not one (PCRE2 would read a literal brace). */
static bool parse_counts(struct glushkov *g, unsigned *min, unsigned *max)
{
    unsigned v[2] = {0, 0}, k = 0;
    bool digits[2] = {false, false};
    for (; g->i < g->end && g->p[g->i] != '}'; g->i++) {
        char c = g->p[g->i];
        if (c == ',' && k == 0) {
            k = 1;
        } else if (c >= '0' && c <= '9' && v[k] <= 1000) {
            v[k] = v[k] * 10 + (unsigned)(c - '0');
            digits[k] = true;
        } else {
            return false;
        }
    }
    if (g->i >= g->end || !digits[0] || v[0] > 1000 || v[1] > 1000)
        return false;
    g->i++;
    *min = v[0];
    *max = k == 0 ? v[0] : digits[1] ? v[1] : UINT32_MAX;
    return *max >= *min;
}

/* The atom at start, parsed again (fresh positions) for a counted repeat. */
static struct frag again(struct glushkov *g, size_t start)
{
    size_t save = g->i;
    g->i = start;
    struct frag f = parse_atom(g);
    g->i = save;
    return f;
}

/* a{min,max}: min copies, then max - min optional ones (or one starred copy). */
static struct frag counted(struct glushkov *g, size_t start, struct frag a, unsigned min,
                           unsigned max)
{
    struct frag out = EMPTY;
    for (unsigned k = 0; k < min && !g->fail; k++)
        out = concat(g, out, k == 0 ? a : again(g, start));
    if (max == UINT32_MAX) {
        struct frag r = min == 0 ? a : again(g, start);
        return concat(g, out, loop(g, r, true));
    }
    for (unsigned k = min; k < max && !g->fail; k++) {
        struct frag r = k == 0 ? a : again(g, start);
        r.nullable = true;
        out = concat(g, out, r);
    }
    return out;
}

static struct frag parse_repeat(struct glushkov *g, size_t start, struct frag a)
{
    unsigned min, max;
    switch (peek(g)) {
    case '*': g->i++; a = loop(g, a, true); break;
    case '+': g->i++; a = loop(g, a, false); break;
    case '?': g->i++; a.nullable = true; break;
    case '{':
        g->i++;
        if (!parse_counts(g, &min, &max))
            return bad(g);
        a = counted(g, start, a, min, max);
        break;
    default: return a;
    }
    if (peek(g) == '?')
        g->i++; /* lazy: the same language */
    int c = peek(g);
    if (c == '*' || c == '+' || c == '?' || c == '{')
        return bad(g);
    return a;
}

static struct frag parse_cat(struct glushkov *g)
{
    struct frag f = EMPTY;
    while (!g->fail && g->i < g->end && peek(g) != '|' && peek(g) != ')') {
        size_t start = g->i;
        struct frag a = parse_atom(g);
        if (!g->fail)
            f = concat(g, f, parse_repeat(g, start, a));
    }
    return f;
}

static struct frag parse_alt(struct glushkov *g)
{
    struct frag f = parse_cat(g);
    unsigned branches = 1;
    while (!g->fail && peek(g) == '|') {
        g->i++;
        struct frag b = parse_cat(g);
        f = (struct frag){f.first | b.first, f.last | b.last, f.nullable || b.nullable};
        branches++;
    }
    if (g->nest == 0)
        g->top_branches = branches;
    return f;
}

/* ---- subsets -------------------------------------------------------------------------------- */

struct builder {
    const struct glushkov *g;
    struct frag top;
    bool anchored_start;
    uint64_t states[MAX_STATES + 1]; /* by id; 0: the empty set (dead) */
    unsigned nstates;
    uint16_t index[512];             /* open addressing: id + 1 */
    uint64_t cmask[128];             /* positions accepting each class */
    unsigned nclasses;
    uint8_t cls[128];
};

/* The id of set, added when new; -1 past MAX_STATES. */
static int state_id(struct builder *b, uint64_t set)
{
    uint64_t h = set * 0x9e3779b97f4a7c15ULL;
    for (unsigned k = (unsigned)(h >> 55);; k = (k + 1) & 511) {
        unsigned e = b->index[k];
        if (e && b->states[e - 1] == set)
            return (int)e - 1;
        if (!e) {
            if (b->nstates > MAX_STATES)
                return -1;
            b->states[b->nstates] = set;
            b->index[k] = (uint16_t)(b->nstates + 1);
            return (int)b->nstates++;
        }
    }
}

/* Bytes 0..127 grouped by the positions that accept them. */
static void classes(struct builder *b)
{
    for (unsigned c = 0; c < 128; c++) {
        uint64_t m = 0;
        for (unsigned p = 0; p < b->g->npos; p++)
            if (aset_has(&b->g->set[p], c))
                m |= 1ULL << p;
        unsigned k = 0;
        while (k < b->nclasses && b->cmask[k] != m)
            k++;
        if (k == b->nclasses)
            b->cmask[b->nclasses++] = m;
        b->cls[c] = (uint8_t)k;
    }
}

static bool accepting(const struct builder *b, uint64_t set)
{
    return (set & b->top.last) || ((set & START_BIT) && b->top.nullable);
}

static uint64_t follow_of(const struct builder *b, uint64_t set)
{
    uint64_t f = (set & START_BIT) ? b->top.first : 0;
    for (unsigned p = 0; p < b->g->npos; p++)
        if ((set >> p) & 1)
            f |= b->g->follow[p];
    return f;
}

/* The transitions of every state reachable from the start into next (a row of k per state);
 * false past MAX_STATES. */
static bool explore(struct builder *b, uint8_t *next, unsigned k)
{
    uint64_t keep = b->anchored_start ? 0 : START_BIT;
    for (unsigned s = 0; s < b->nstates; s++) { /* grows while it runs */
        uint64_t f = follow_of(b, b->states[s]);
        for (unsigned c = 0; c < b->nclasses; c++) {
            int t = s == 0 ? 0 : state_id(b, (f & b->cmask[c]) | keep);
            if (t < 0)
                return false;
            next[s * k + c] = (uint8_t)t;
        }
        next[s * k + b->nclasses] = NOT_ASCII;
    }
    return true;
}

/* The entry that leads to state s. */
static uint16_t entry_of(const struct builder *b, unsigned s, unsigned k, bool anchored_end)
{
    if (s == NOT_ASCII)
        return ASK_PCRE2;
    bool decided = s == 0 || (!anchored_end && accepting(b, b->states[s]));
    return (uint16_t)(s * k | (decided ? DECIDED : 0));
}

static struct cel_dfa *build(struct ps_arena *a, struct builder *b, bool anchored_end)
{
    classes(b);
    state_id(b, 0);
    unsigned start = (unsigned)state_id(b, START_BIT);
    unsigned k = b->nclasses + 1; /* the last class: bytes >= 0x80 */
    uint8_t *next = ps_malloc((size_t)(MAX_STATES + 1) * k);
    struct cel_dfa *d = NULL;
    if (next && explore(b, next, k))
        d = ps_arena_zalloc(a, sizeof *d + (size_t)b->nstates * k * sizeof d->next[0]);
    if (!d) {
        ps_free(next);
        return NULL;
    }
    d->nclasses = (uint8_t)k;
    d->start = entry_of(b, start, k, anchored_end);
    for (size_t e = 0; e < (size_t)b->nstates * k; e++)
        d->next[e] = entry_of(b, next[e], k, anchored_end);
    ps_free(next);
    memset(d->cls, b->nclasses, sizeof d->cls);
    memcpy(d->cls, b->cls, sizeof b->cls);
    for (unsigned s = 1; s < b->nstates; s++)
        d->accept[s] = accepting(b, b->states[s]);
    return d;
}

/* An unescaped '$' closing the pattern (an even run of backslashes before it). */
static bool ends_with_dollar(const char *p, size_t len)
{
    if (len == 0 || p[len - 1] != '$')
        return false;
    size_t n = 0;
    while (n + 1 < len && p[len - 2 - n] == '\\')
        n++;
    return n % 2 == 0;
}

const struct cel_dfa *cel_dfa_build(struct ps_arena *a, const char *p, size_t len, bool dot_ok)
{
    bool anchored_start = len > 0 && p[0] == '^';
    bool anchored_end = ends_with_dollar(p, len) && len > (size_t)anchored_start;
    struct glushkov g = {.p = p, .end = len - anchored_end, .i = anchored_start,
                         .dot_ok = dot_ok};
    struct frag top = parse_alt(&g);
    /* "^a|b$" anchors its branches, not the whole */
    if (g.fail || g.i != g.end || ((anchored_start || anchored_end) && g.top_branches > 1))
        return NULL;
    struct builder b = {.g = &g, .top = top, .anchored_start = anchored_start};
    return build(a, &b, anchored_end);
}

int cel_dfa_match(const struct cel_dfa *d, const char *s, size_t len)
{
    unsigned e = d->start;
    for (size_t i = 0; !(e & DECIDED) && i < len; i++)
        e = d->next[e + d->cls[(unsigned char)s[i]]];
    if (e == ASK_PCRE2)
        return -1;
    return d->accept[(e & ~DECIDED) / d->nclasses];
}
