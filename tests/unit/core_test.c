/* Core pieces: arena limits and cleanup, bounded buffers, sized strings, UUIDv7 order,
 * JSON limits, allocation failure injection. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "core/jsonw.h"
#include "core/ratelimit.h"
#include "core/str.h"

Test(arena, allocations_are_aligned_and_bounded)
{
    struct ps_arena *a = ps_arena_new(64 * 1024);
    cr_assert_not_null(a);
    for (int i = 0; i < 100; i++) {
        void *p = ps_arena_alloc(a, (size_t)i + 1);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)i + 1);
    }
    cr_assert_null(ps_arena_alloc(a, 64 * 1024), "an allocation past the limit must fail");
    cr_assert_not_null(ps_arena_alloc(a, 8), "small allocations still fit after a refusal");
    ps_arena_free(a);
}

Test(arena, large_allocation_and_reset)
{
    struct ps_arena *a = ps_arena_new(1 << 20);
    char *big = ps_arena_alloc(a, 200000);
    cr_assert_not_null(big);
    memset(big, 1, 200000);
    cr_assert_geq(ps_arena_used(a), 200000);
    ps_arena_reset(a);
    cr_assert_eq(ps_arena_used(a), 0);
    cr_assert_not_null(ps_arena_alloc(a, 900000));
    ps_arena_free(a);
}

static int deferred_runs;
static void count_defer(void *arg)
{
    deferred_runs += *(int *)arg;
}

Test(arena, defers_run_once_in_reverse)
{
    static int one = 1, ten = 10;
    deferred_runs = 0;
    struct ps_arena *a = ps_arena_new(4096);
    cr_assert_eq(ps_arena_defer(a, count_defer, &one), PS_OK);
    cr_assert_eq(ps_arena_defer(a, count_defer, &ten), PS_OK);
    ps_arena_free(a);
    cr_assert_eq(deferred_runs, 11);
}

Test(arena, printf_and_strings)
{
    struct ps_arena *a = ps_arena_new(4096);
    char *s = ps_arena_printf(a, "%s-%d", "x", 42);
    cr_assert_str_eq(s, "x-42");
    struct ps_str c = ps_arena_str(a, PS_STR("hello"));
    cr_assert(ps_str_eq_cstr(c, "hello"));
    cr_assert_eq(c.p[5], '\0');
    ps_arena_free(a);
}

Test(arena, reset_keeps_only_the_small_first_block)
{
    struct ps_arena *a = ps_arena_new(8 << 20);
    char *small = ps_arena_alloc(a, 64);
    cr_assert_not_null(small);
    cr_assert_not_null(ps_arena_alloc(a, 1 << 20), "a large allocation after the first block");
    ps_arena_reset(a);
    char *again = ps_arena_alloc(a, 64);
    cr_assert_eq(again, small, "after reset the first block is reused from its start");
    ps_arena_free(a);
}

Test(arena, null_free_is_noop)
{
    ps_arena_free(NULL);
}

Test(buf, hard_maximum)
{
    struct ps_buf b;
    ps_buf_init(&b, 10);
    cr_assert_eq(ps_buf_append_cstr(&b, "0123456789"), PS_OK);
    cr_assert_eq(ps_buf_append_cstr(&b, "x"), PS_ERR_LIMIT);
    cr_assert_eq(b.len, 10);
    cr_assert_str_eq(b.p, "0123456789");
    ps_buf_reset(&b);
    ps_buf_init(&b, 5);
    cr_assert_eq(ps_buf_printf(&b, "%d", 123456), PS_ERR_LIMIT);
    cr_assert_eq(b.len, 0);
    ps_buf_reset(&b);
}

Test(buf, json_string_escapes)
{
    struct ps_buf b;
    ps_buf_init(&b, 100);
    cr_assert_eq(ps_buf_append_json_str(&b, PS_STR("a\"b\\c\n\x01")), PS_OK);
    /* the shortest escapes (\n), \u00XX only for controls without one */
    cr_assert_str_eq(b.p, "\"a\\\"b\\\\c\\n\\u0001\"");
    ps_buf_reset(&b);
}

Test(str, to_u64)
{
    uint64_t v = 0;
    cr_assert_eq(ps_str_to_u64(PS_STR("18446744073709551615"), &v), PS_OK);
    cr_assert_eq(v, UINT64_MAX);
    cr_assert_eq(ps_str_to_u64(PS_STR("18446744073709551616"), &v), PS_ERR_INVALID);
    cr_assert_eq(ps_str_to_u64(PS_STR(""), &v), PS_ERR_INVALID);
    cr_assert_eq(ps_str_to_u64(PS_STR("12a"), &v), PS_ERR_INVALID);
    cr_assert_eq(ps_str_to_u64(PS_STR("-1"), &v), PS_ERR_INVALID);
    cr_assert_eq(ps_str_to_u64(PS_STR(" 1"), &v), PS_ERR_INVALID);
}

Test(str, comparisons)
{
    cr_assert(ps_str_eq_nocase(PS_STR("Content-Type"), PS_STR("content-type")));
    cr_assert_not(ps_str_eq(PS_STR("ab"), PS_STR("abc")));
    cr_assert(ps_str_eq_secret(PS_STR("secret"), PS_STR("secret")));
    cr_assert_not(ps_str_eq_secret(PS_STR("secret"), PS_STR("secreT")));
    cr_assert_not(ps_str_eq_secret(PS_STR("secret"), PS_STR("secrets")));
    char small[4];
    cr_assert_eq(ps_str_copy(small, sizeof small, PS_STR("abcd")), PS_ERR_LIMIT);
    cr_assert_eq(ps_str_copy(small, sizeof small, PS_STR("abc")), PS_OK);
    cr_assert_str_eq(small, "abc");
}

Test(ids, uuid7_is_versioned_ordered_and_round_trips)
{
    char prev[37] = "";
    for (int i = 0; i < 5000; i++) {
        struct ps_uuid u = ps_uuid7();
        cr_assert_eq(u.b[6] >> 4, 7);
        cr_assert_eq(u.b[8] >> 6, 2);
        char text[37];
        ps_uuid_fmt(&u, text);
        cr_assert_gt(strcmp(text, prev), 0, "uuid %s not after %s", text, prev);
        memcpy(prev, text, sizeof text);
        struct ps_uuid back;
        cr_assert(ps_uuid_parse(ps_str_from_cstr(text), &back));
        cr_assert_eq(memcmp(back.b, u.b, 16), 0);
    }
    struct ps_uuid dummy;
    cr_assert_not(ps_uuid_parse(PS_STR("0190a0b0-0000-7000-8000-00000000000g"), &dummy));
    cr_assert_not(ps_uuid_parse(PS_STR("0190a0b0-0000-7000-8000-0000000000"), &dummy));
}

Test(ids, uuid7_uses_injected_clock)
{
    ps_clock_set_fixed(1764215846123LL);
    struct ps_uuid u = ps_uuid7();
    ps_clock_set_fixed(-1);
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | u.b[i];
    cr_assert(ms >= 1764215846123ULL);
    char when[25];
    ps_clock_fmt_rfc3339(1764215846123LL, when);
    cr_assert_str_eq(when, "2025-11-27T03:57:26.123Z");
}

Test(json, limits_and_errors)
{
    struct ps_arena *a = ps_arena_new(1 << 20);
    json_t *v = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_json_parse(a, PS_STR("{\"a\":[1,2,{\"b\":null}]}"), 1024, 8, &v, &d), PS_OK);
    cr_assert(json_is_object(v));
    cr_assert_eq(ps_json_parse(a, PS_STR("[[[[[]]]]]"), 1024, 4, &v, &d), PS_ERR_LIMIT);
    cr_assert_eq(ps_json_parse(a, PS_STR("[\"[[[[[[\"]"), 1024, 2, &v, &d), PS_OK,
                 "brackets inside strings do not count as depth");
    cr_assert_eq(ps_json_parse(a, PS_STR("{\"a\":1}"), 3, 8, &v, &d), PS_ERR_LIMIT);
    cr_assert_eq(ps_json_parse(a, PS_STR("{\"a\":1,}"), 1024, 8, &v, &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "line 1") != NULL, "diag: %s", d.message);
    cr_assert_eq(ps_json_parse(a, PS_STR("{\"a\":1,\"a\":2}"), 1024, 8, &v, &d), PS_ERR_INVALID);
    cr_assert_eq(ps_json_parse(a, PS_STR("\"\\u0000\""), 1024, 8, &v, &d), PS_ERR_INVALID);
    cr_assert_eq(ps_json_parse(a, PS_STR("{} {}"), 1024, 8, &v, &d), PS_ERR_INVALID);
    cr_assert_eq(ps_json_parse(a, (struct ps_str){"[1\0]", 4}, 1024, 8, &v, &d), PS_ERR_INVALID,
                 "a NUL after a complete value is refused (found by fuzzing)");
    cr_assert_eq(ps_json_parse(a, PS_STR("\"\xff\""), 1024, 8, &v, &d), PS_ERR_INVALID);
    ps_arena_free(a);
}

Test(alloc, injected_failures)
{
    ps_alloc_fail_after(2);
    void *a = ps_malloc(10), *b = ps_malloc(10), *c = ps_malloc(10);
    ps_alloc_fail_reset();
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_null(c);
    ps_free(a);
    ps_free(b);
    cr_assert_null(ps_alloc_array(SIZE_MAX / 2, 4), "overflowing n*size must fail");
    ps_alloc_fail_after(0);
    cr_assert_null(ps_arena_new(4096));
    ps_alloc_fail_reset();
}

Test(alloc, nth_failure_is_one_shot)
{
    ps_alloc_fail_nth(1);
    void *a = ps_malloc(10), *b = ps_malloc(10), *c = ps_malloc(10);
    cr_assert(ps_alloc_fail_fired());
    ps_alloc_fail_reset();
    cr_assert_not_null(a);
    cr_assert_null(b, "the second allocation is the one that fails");
    cr_assert_not_null(c, "and only it");
    ps_free(a);
    ps_free(c);
    ps_alloc_fail_nth(1000);
    void *d = ps_malloc(10);
    cr_assert_not(ps_alloc_fail_fired(), "not reached yet");
    ps_alloc_fail_reset();
    ps_free(d);
}

/* An embedder's allocator: counts what reaches it and delegates to the one it replaced. */
struct counting {
    struct ps_allocator self;
    const struct ps_allocator *inner;
    long mallocs, frees;
};

static void *c_malloc(void *ctx, size_t n)
{
    struct counting *c = ctx;
    __atomic_add_fetch(&c->mallocs, 1, __ATOMIC_RELAXED);
    return c->inner->malloc(c->inner->ctx, n);
}

static void *c_realloc(void *ctx, void *p, size_t n)
{
    struct counting *c = ctx;
    if (!p)
        __atomic_add_fetch(&c->mallocs, 1, __ATOMIC_RELAXED);
    return c->inner->realloc(c->inner->ctx, p, n);
}

static void c_free(void *ctx, void *p)
{
    struct counting *c = ctx;
    __atomic_add_fetch(&c->frees, 1, __ATOMIC_RELAXED);
    c->inner->free(c->inner->ctx, p);
}

Test(alloc, installed_allocator_gets_core_and_jansson_allocations)
{
    struct counting c = {.self = {c_malloc, c_realloc, c_free, NULL}};
    c.self.ctx = &c;
    c.inner = ps_alloc_get();
    cr_assert_eq(ps_alloc_set(&c.self), c.inner);
    cr_assert_eq(ps_alloc_get(), &c.self);
    struct ps_arena *a = ps_arena_new(4096);
    cr_assert_gt(c.mallocs, 0, "core allocations reach the installed allocator");
    long before = c.mallocs;
    json_t *v = json_pack("{s:[i,i,s]}", "k", 1, 2, "a string");
    cr_assert_not_null(v);
    cr_assert_gt(c.mallocs, before, "jansson allocations reach it too");
    char *s = ps_json_dump(a, v);
    cr_assert_str_eq(s, "{\"k\":[1,2,\"a string\"]}");
    json_decref(v);
    ps_arena_free(a);
    cr_assert_eq(c.frees, c.mallocs, "everything allocated through it is freed through it");
    cr_assert_eq(ps_alloc_set(NULL), &c.self);
    cr_assert_neq(ps_alloc_get(), &c.self);
}

struct captured {
    char line[2048];
    size_t len;
    enum ps_log_level level;
    int lines;
};

static void capture(void *ctx, enum ps_log_level level, const char *line, size_t len)
{
    struct captured *c = ctx;
    if (len >= sizeof c->line)
        len = sizeof c->line - 1;
    memcpy(c->line, line, len);
    c->line[len] = '\0';
    c->len = len;
    c->level = level;
    c->lines++;
}

Test(log, sink_gets_whole_lines_at_its_level)
{
    struct captured got = {0};
    struct ps_log_sink sink = {capture, &got};
    cr_assert_null(ps_log_set_sink(&sink), "the built-in sink was installed");
    ps_clock_set_fixed(1764215846123LL);
    ps_log(PS_LOG_WARN, "disk %d%% full", 93);
    ps_log(PS_LOG_DEBUG, "dropped below the level");
    ps_clock_set_fixed(-1);
    cr_assert_eq(got.lines, 1);
    cr_assert_eq(got.level, PS_LOG_WARN);
    cr_assert_str_eq(got.line, "{\"time\":\"2025-11-27T03:57:26.123Z\",\"level\":\"warn\","
                               "\"msg\":\"disk 93% full\"}\n");
    ps_log_set_level(PS_LOG_DEBUG);
    ps_log(PS_LOG_DEBUG, "now kept");
    ps_log_set_level(PS_LOG_INFO);
    cr_assert_eq(got.lines, 2);
    ps_log_json(PS_STR("{\"access\":1}"));
    cr_assert_str_eq(got.line, "{\"access\":1}\n");
    cr_assert_eq(ps_log_set_sink(NULL), &sink);
}

static int64_t ten_past(void *ctx)
{
    int64_t *calls = ctx;
    (*calls)++;
    return 1000000000LL * 600 + 5000000; /* 1970-01-01T00:10:00.005Z */
}

Test(clock, source_is_replaceable)
{
    int64_t calls = 0;
    struct ps_clock_source src = {ten_past, &calls};
    cr_assert_null(ps_clock_set_source(&src), "the system clock was installed");
    cr_assert_eq(ps_clock_now_ms(), 600005);
    cr_assert_eq(ps_clock_now_ns(), 600005000000LL);
    cr_assert_eq(calls, 2);
    int64_t m0 = ps_clock_mono_ns();
    cr_assert_gt(m0, 0, "monotonic time is not the wall-clock source's");
    ps_clock_set_fixed(42);
    cr_assert_eq(ps_clock_now_ms(), 42, "the fixed source replaces an installed one");
    ps_clock_set_fixed(-1);
    cr_assert_null(ps_clock_set_source(NULL), "back on the system clock");
    cr_assert_gt(ps_clock_now_ms(), 1700000000000LL);
}

/* ---- the JSON writer ---- */

static const char *jw_text(struct ps_buf *b)
{
    return b->p ? b->p : "";
}

Test(jsonw, writes_nested_values_in_utf8)
{
    struct ps_buf b;
    ps_buf_init(&b, 1024);
    struct ps_jw w;
    ps_jw_init(&w, &b);
    ps_jw_obj(&w);
    ps_jw_kstr(&w, "name", PS_STR("Тарас \"Т\"\n"));
    ps_jw_kint(&w, "n", -5);
    ps_jw_kuint(&w, "u", 18446744073709551615u);
    ps_jw_kbool(&w, "ok", true);
    ps_jw_key(&w, "list");
    ps_jw_arr(&w);
    ps_jw_int(&w, 1);
    ps_jw_null(&w);
    ps_jw_obj(&w);
    ps_jw_obj_end(&w);
    ps_jw_arr(&w);
    ps_jw_arr_end(&w);
    ps_jw_raw(&w, PS_STR("{\"a\":1}"));
    ps_jw_str(&w, PS_STR_NULL);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    cr_assert_eq(ps_jw_end(&w), PS_OK);
    cr_assert_str_eq(jw_text(&b), "{\"name\":\"Тарас \\\"Т\\\"\\n\",\"n\":-5,"
                                  "\"u\":18446744073709551615,\"ok\":true,"
                                  "\"list\":[1,null,{},[],{\"a\":1},null]}");
    ps_buf_reset(&b);
}

Test(jsonw, misuse_and_limits_are_sticky_errors)
{
    struct ps_buf b;
    struct ps_jw w;
    ps_buf_init(&b, 1024);
    ps_jw_init(&w, &b); /* a value where a key is due */
    ps_jw_obj(&w);
    ps_jw_int(&w, 1);
    ps_jw_obj_end(&w);
    cr_assert_eq(ps_jw_end(&w), PS_ERR_INTERNAL);
    b.len = 0;
    ps_jw_init(&w, &b); /* unbalanced */
    ps_jw_arr(&w);
    cr_assert_eq(ps_jw_end(&w), PS_ERR_INTERNAL);
    b.len = 0;
    ps_jw_init(&w, &b); /* a key without its value */
    ps_jw_obj(&w);
    ps_jw_key(&w, "k");
    ps_jw_obj_end(&w);
    cr_assert_eq(ps_jw_end(&w), PS_ERR_INTERNAL);
    b.len = 0;
    ps_jw_init(&w, &b); /* two values at the top; nothing at all */
    ps_jw_int(&w, 1);
    ps_jw_int(&w, 2);
    cr_assert_eq(ps_jw_end(&w), PS_ERR_INTERNAL);
    ps_jw_init(&w, &b);
    cr_assert_eq(ps_jw_end(&w), PS_ERR_INTERNAL);
    ps_buf_reset(&b);
    ps_buf_init(&b, 16); /* the buffer's limit: the first error sticks */
    ps_jw_init(&w, &b);
    ps_jw_arr(&w);
    for (int i = 0; i < 100; i++)
        ps_jw_int(&w, 1000000);
    ps_jw_arr_end(&w);
    cr_assert_eq(ps_jw_end(&w), PS_ERR_LIMIT);
    cr_assert_leq(b.len, 16);
    ps_buf_reset(&b);
    ps_buf_init(&b, 4096); /* too deep */
    ps_jw_init(&w, &b);
    for (int i = 0; i <= PS_JW_MAX_DEPTH; i++)
        ps_jw_arr(&w);
    cr_assert_eq(ps_jw_end(&w), PS_ERR_INTERNAL);
    ps_buf_reset(&b);
}

/* ---- token buckets ---- */

Test(ratelimit, bucket_refills_at_its_rate_and_keys_are_apart)
{
    struct ps_ratelimit *r = ps_ratelimit_new(64, 2.0, 3.0); /* 2/s, burst 3 */
    cr_assert_not_null(r);
    unsigned retry = 0;
    for (int i = 0; i < 3; i++)
        cr_assert(ps_ratelimit_take(r, PS_STR("ip:1"), 1000, &retry), "burst %d", i);
    cr_assert(!ps_ratelimit_take(r, PS_STR("ip:1"), 1000, &retry), "the burst is spent");
    cr_assert_eq(retry, 1);
    cr_assert(ps_ratelimit_take(r, PS_STR("ip:2"), 1000, NULL), "another key has its own");
    cr_assert(!ps_ratelimit_take(r, PS_STR("ip:1"), 1400, NULL), "0.8 tokens after 400 ms");
    cr_assert(ps_ratelimit_take(r, PS_STR("ip:1"), 1500, NULL), "one token after 500 ms");
    cr_assert(!ps_ratelimit_take(r, PS_STR("ip:1"), 1500, NULL));
    cr_assert(ps_ratelimit_take(r, PS_STR("ip:1"), 100000, NULL), "refilled, capped at burst");
    cr_assert(ps_ratelimit_take(r, PS_STR("ip:1"), 100000, NULL));
    cr_assert(ps_ratelimit_take(r, PS_STR("ip:1"), 100000, NULL));
    cr_assert(!ps_ratelimit_take(r, PS_STR("ip:1"), 100000, NULL), "never more than the burst");
    ps_ratelimit_free(r);
    r = ps_ratelimit_new(64, 0, 0); /* rate 0: no limit */
    for (int i = 0; i < 1000; i++)
        cr_assert(ps_ratelimit_take(r, PS_STR("k"), 0, NULL));
    ps_ratelimit_free(r);
}

Test(ratelimit, a_full_table_forgets_the_oldest_never_refuses_a_new_key)
{
    struct ps_ratelimit *r = ps_ratelimit_new(64, 1.0, 1.0);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cr_assert(ps_ratelimit_take(r, ps_str_from_cstr(key), i, NULL), "%s", key);
    }
    /* the most recent key is still remembered */
    cr_assert(!ps_ratelimit_take(r, ps_str_from_cstr(key), 10000, NULL));
    ps_ratelimit_free(r);
}
