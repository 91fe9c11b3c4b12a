/* Error codes and the caller-owned diagnostic every fallible library function fills.
 * Library code never prints: it returns an enum ps_err and, where a reason helps, writes
 * it into a struct ps_diag the caller owns. */
#ifndef PS_CORE_ERR_H
#define PS_CORE_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define PS_WUR __attribute__((warn_unused_result))
#define PS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PS_NORETURN __attribute__((noreturn))

enum ps_err {
    PS_OK = 0,
    PS_ERR_NOMEM,       /* allocation failed */
    PS_ERR_INVALID,     /* malformed or out-of-range input */
    PS_ERR_NOTFOUND,    /* no such object */
    PS_ERR_EXISTS,      /* uniqueness rule violated */
    PS_ERR_CONFLICT,    /* serialization failure / busy: the transaction may be retried */
    PS_ERR_LIMIT,       /* a size, depth, count or time limit was reached */
    PS_ERR_IO,          /* file or socket error */
    PS_ERR_STORE,       /* database error that is not the caller's fault */
    PS_ERR_UNAVAILABLE, /* a dependency (the database) is unreachable right now */
    PS_ERR_CRYPTO,      /* key, signature or decryption failure */
    PS_ERR_DENIED,      /* not authenticated or not allowed */
    PS_ERR_VERSION,     /* data written by a newer version */
    PS_ERR_INTERNAL,    /* a bug: an invariant did not hold */
    /* a write's COMMIT was sent and its reply lost with the connection, and what became of
     * it could not be learned: it may or may not be durable; never retried automatically */
    PS_ERR_UNKNOWN_OUTCOME,
};

/* What went wrong, for a human. Owned by the caller; usually on the stack. */
struct ps_diag {
    enum ps_err code;
    char message[256];
};

/* Stable lower-case name of an error code ("invalid", "not-found", ...). Never NULL. */
const char *ps_err_name(enum ps_err err);

/* Fills diag (may be NULL) with code and a formatted message (truncated to fit);
 * returns code so that callers can write `return ps_diag_set(d, PS_ERR_INVALID, ...)`. */
enum ps_err ps_diag_set(struct ps_diag *diag, enum ps_err code, const char *fmt, ...)
    PS_PRINTF(3, 4);

/* The same with a va_list (for functions that take a format of their own). */
enum ps_err ps_diag_vset(struct ps_diag *diag, enum ps_err code, const char *fmt, va_list ap)
    PS_PRINTF(3, 0);

/* Clears diag to PS_OK with an empty message. diag may be NULL. */
void ps_diag_clear(struct ps_diag *diag);

/* Aborts with file, line and message: for broken invariants and API misuse. */
PS_NORETURN void ps_panic(const char *file, int line, const char *what);

#define PS_ASSERT(cond)                                                                       \
    do {                                                                                      \
        if (!(cond))                                                                          \
            ps_panic(__FILE__, __LINE__, "assertion failed: " #cond);                         \
    } while (0)

#endif
