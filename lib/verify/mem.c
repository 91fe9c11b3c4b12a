/* The budgeted bump arena of one verification: every chunk (and the arena itself) counts
 * against the caller's budget, so a hostile payload cannot make the library allocate more
 * than the caller allowed. Also the diagnostic helper shared by all layers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psv_int.h"

#define CHUNK_MIN 8192u
#define ALIGN 16u

struct psv_chunk {
    struct psv_chunk *next;
    size_t size;
};

struct psv_mem *psv_mem_new(size_t budget)
{
    if (budget < sizeof(struct psv_mem))
        return NULL;
    struct psv_mem *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->budget = budget;
    m->used = sizeof *m;
    return m;
}

void psv_mem_free(struct psv_mem *m)
{
    if (!m)
        return;
    struct psv_chunk *c = m->chunks;
    while (c) {
        struct psv_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(m);
}

/* A new chunk able to hold n bytes; the header is padded to ALIGN. */
static bool grow(struct psv_mem *m, size_t n)
{
    size_t hdr = (sizeof(struct psv_chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    size_t want = n < CHUNK_MIN ? CHUNK_MIN : n;
    size_t total;
    if (__builtin_add_overflow(want, hdr, &total))
        return false;
    if (total > m->budget - m->used) { /* a smaller chunk that still fits n? */
        if (n + hdr > m->budget - m->used || n + hdr < n)
            return false;
        total = m->budget - m->used;
    }
    struct psv_chunk *c = malloc(total);
    if (!c)
        return false;
    c->next = m->chunks;
    c->size = total;
    m->chunks = c;
    m->used += total;
    m->cur = (uint8_t *)c + hdr;
    m->left = total - hdr;
    return true;
}

void *psv_alloc(struct psv_mem *m, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - ALIGN) {
        m->exceeded = true;
        return NULL;
    }
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n > m->left && !grow(m, n)) {
        m->exceeded = true;
        return NULL;
    }
    void *p = m->cur;
    m->cur += n;
    m->left -= n;
    return p;
}

void *psv_zalloc(struct psv_mem *m, size_t n)
{
    void *p = psv_alloc(m, n);
    if (p)
        memset(p, 0, n);
    return p;
}

void psv_diag_vset(struct psv_diag *d, enum psv_error code, const char *fmt, va_list ap)
{
    d->code = code;
    if (vsnprintf(d->message, sizeof d->message, fmt, ap) < 0)
        d->message[0] = '\0'; /* a longer message is cut: the code is what callers test */
}

enum psv_error psv_fail(struct psv_diag *d, enum psv_error code, const char *fmt, ...)
{
    if (!d)
        return code;
    va_list ap;
    va_start(ap, fmt);
    psv_diag_vset(d, code, fmt, ap);
    va_end(ap);
    return code;
}
