/* The runner of the Criterion stand-in (criterion/criterion.h, ThreadSanitizer build only):
 * runs every registered test, or those matching --filter SUITE/NAME (fnmatch), each in a
 * child process of its own (so tests keep Criterion's isolation, and the parent stays
 * single-threaded when it forks), with the suite's or the test's .init and .fini and a
 * timeout; prints one line per test and Criterion's "Synthesis" line, which
 * scripts/test_count.py counts. Exit status 0 when no test failed. */
#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

enum { CHILD_PASS = 0, CHILD_FAIL = 1, CHILD_SKIP = 77 };

static struct shim_test *tests;
static struct shim_suite *suites;
static jmp_buf env;
static int outcome; /* in the child: CHILD_FAIL or CHILD_SKIP after the jump */
static bool expect_failed;

void shim_register_test(struct shim_test *t)
{
    t->next = tests;
    tests = t;
}

void shim_register_suite(struct shim_suite *s)
{
    s->next = suites;
    suites = s;
}

static void report(const char *file, int line, const char *expr, const char *fmt, va_list ap)
{
    fprintf(stderr, "[----] %s:%d: Assertion Failed\n[----]   %s\n[----]   ", file, line, expr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void shim_assert_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(file, line, expr, fmt, ap);
    va_end(ap);
    outcome = CHILD_FAIL;
    longjmp(env, 1);
}

void shim_expect_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(file, line, expr, fmt, ap);
    va_end(ap);
    expect_failed = true;
}

void shim_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[SKIP] ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    outcome = CHILD_SKIP;
    longjmp(env, 1);
}

void shim_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[LOG ] ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The test's own extra data, else its suite's. */
static struct shim_extra extra_of(const struct shim_test *t)
{
    struct shim_extra x = t->x;
    for (const struct shim_suite *s = suites; s; s = s->next) {
        if (strcmp(s->name, t->suite) != 0)
            continue;
        if (!x.init)
            x.init = s->x.init;
        if (!x.fini)
            x.fini = s->x.fini;
        if (x.timeout == 0)
            x.timeout = s->x.timeout;
        x.disabled = x.disabled || s->x.disabled;
        if (!x.signal)
            x.signal = s->x.signal;
        if (!x.exit_code)
            x.exit_code = s->x.exit_code;
    }
    return x;
}

static _Noreturn void child(const struct shim_test *t, const struct shim_extra *x)
{
    outcome = CHILD_PASS;
    if (setjmp(env) == 0) {
        if (x->init)
            x->init();
        t->fn();
    }
    if (x->fini && outcome != CHILD_SKIP && setjmp(env) == 0)
        x->fini();
    fflush(NULL);
    _exit(outcome == CHILD_PASS && expect_failed ? CHILD_FAIL : outcome);
}

/* Runs t in a child; returns CHILD_PASS, CHILD_FAIL, CHILD_SKIP, or -1 for a crash or a
 * timeout, judged by the test's expected .signal or .exit_code when it has one. */
static int run_one(const struct shim_test *t, const struct shim_extra *x, double *took)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        if (x->timeout > 0)
            alarm((unsigned)(x->timeout + 0.999));
        child(t, x);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (x->signal)
        return WIFSIGNALED(st) && WTERMSIG(st) == x->signal ? CHILD_PASS : CHILD_FAIL;
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "[----] %s::%s: %s\n", t->suite, t->name,
                WTERMSIG(st) == SIGALRM ? "Timed out" : strsignal(WTERMSIG(st)));
        return -1;
    }
    if (x->exit_code)
        return WEXITSTATUS(st) == x->exit_code ? CHILD_PASS : CHILD_FAIL;
    return WEXITSTATUS(st);
}

static const char *filter_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--filter=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *filter = filter_arg(argc, argv);
    struct shim_test *order = NULL; /* registration order (constructors ran in reverse) */
    while (tests) {
        struct shim_test *t = tests;
        tests = t->next;
        t->next = order;
        order = t;
    }
    int tested = 0, passing = 0, failing = 0, crashing = 0;
    for (struct shim_test *t = order; t; t = t->next) {
        char id[256];
        int n = snprintf(id, sizeof id, "%s/%s", t->suite, t->name);
        struct shim_extra x = extra_of(t);
        if (x.disabled || n < 0 || (size_t)n >= sizeof id ||
            (filter && fnmatch(filter, id, 0) != 0))
            continue;
        double took = 0;
        int rc = run_one(t, &x, &took);
        if (rc == CHILD_SKIP) {
            printf("[SKIP] %s::%s\n", t->suite, t->name);
            continue;
        }
        tested++;
        passing += rc == CHILD_PASS;
        failing += rc > 0;
        crashing += rc < 0;
        printf("[%s] %s::%s: (%.2fs)\n", rc == CHILD_PASS ? "PASS" : rc < 0 ? "CRASH" : "FAIL",
               t->suite, t->name, took);
        fflush(stdout);
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d \n", tested,
           passing, failing, crashing);
    return passing == tested ? 0 : 1;
}
