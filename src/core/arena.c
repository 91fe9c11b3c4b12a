/* Region allocator with a byte limit, built on a chain of blocks. */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

#define ALIGN 16u
#define FIRST_BLOCK 4096u

struct block {
    struct block *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

struct deferred {
    struct deferred *next;
    void (*fn)(void *);
    void *arg;
};

struct ps_arena {
    struct block *head;  /* newest block first */
    struct block *first; /* the FIRST_BLOCK one, kept by reset */
    struct deferred *defers;
    size_t max, used;
};

static struct block *block_new(size_t cap)
{
    size_t total;
    if (!ps_size_add(sizeof(struct block), cap, &total))
        return NULL;
    struct block *b = ps_malloc(total);
    if (!b)
        return NULL;
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

struct ps_arena *ps_arena_new(size_t max_bytes)
{
    struct ps_arena *a = ps_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->max = max_bytes;
    a->head = a->first = block_new(FIRST_BLOCK);
    if (!a->head) {
        ps_free(a);
        return NULL;
    }
    return a;
}

static void run_defers(struct ps_arena *a)
{
    while (a->defers) {
        struct deferred *d = a->defers;
        a->defers = d->next;
        d->fn(d->arg);
    }
}

void ps_arena_free(struct ps_arena *a)
{
    if (!a)
        return;
    run_defers(a);
    struct block *b = a->head;
    while (b) {
        struct block *next = b->next;
        ps_free(b);
        b = next;
    }
    ps_free(a);
}

void ps_arena_reset(struct ps_arena *a)
{
    if (a->head == a->first && !a->defers) { /* the common case: one block, nothing deferred */
        a->first->used = 0;
        a->used = 0;
        return;
    }
    run_defers(a);
    /* free every block but the small first one, so that a large body of one request is not
     * kept (with its bytes) for the rest of a keep-alive connection */
    struct block *b = a->head;
    while (b) {
        struct block *next = b->next;
        if (b != a->first)
            ps_free(b);
        b = next;
    }
    a->first->next = NULL;
    a->first->used = 0;
    a->head = a->first;
    a->used = 0;
}

void *ps_arena_alloc(struct ps_arena *a, size_t size)
{
    size_t rounded, total;
    if (!ps_size_add(size ? size : 1, ALIGN - 1, &rounded))
        return NULL;
    rounded &= ~(size_t)(ALIGN - 1);
    if (!ps_size_add(a->used, rounded, &total) || total > a->max)
        return NULL;
    struct block *b = a->head;
    if (b->cap - b->used < rounded) {
        /* a fresh block goes in front: the next allocation tries it first */
        size_t cap = rounded > FIRST_BLOCK * 4 ? rounded : FIRST_BLOCK * 4;
        b = block_new(cap);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    a->used = total;
    return p;
}

void *ps_arena_zalloc(struct ps_arena *a, size_t size)
{
    void *p = ps_arena_alloc(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *ps_arena_array(struct ps_arena *a, size_t n, size_t size)
{
    size_t total;
    if (!ps_size_mul(n, size, &total))
        return NULL;
    return ps_arena_zalloc(a, total);
}

char *ps_arena_strndup(struct ps_arena *a, const char *s, size_t n)
{
    size_t total;
    if (!ps_size_add(n, 1, &total))
        return NULL;
    char *p = ps_arena_alloc(a, total);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ps_arena_cstr(struct ps_arena *a, struct ps_str s)
{
    return ps_arena_strndup(a, s.p, s.len);
}

struct ps_str ps_arena_str(struct ps_arena *a, struct ps_str s)
{
    char *p = ps_arena_strndup(a, s.p, s.len);
    return (struct ps_str){p, p ? s.len : 0};
}

char *ps_arena_printf(struct ps_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = ps_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    int m = vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (m != n)
        return NULL;
    return p;
}

enum ps_err ps_arena_defer(struct ps_arena *a, void (*fn)(void *), void *arg)
{
    struct deferred *d = ps_arena_alloc(a, sizeof *d);
    if (!d)
        return PS_ERR_NOMEM;
    d->fn = fn;
    d->arg = arg;
    d->next = a->defers;
    a->defers = d;
    return PS_OK;
}

size_t ps_arena_used(const struct ps_arena *a)
{
    return a->used;
}
