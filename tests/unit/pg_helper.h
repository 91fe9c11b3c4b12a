/* Test helper for running store tests against a real PostgreSQL: when PS_TEST_DB holds a
 * postgresql:// url (scripts/pg-suite.sh sets it), each test gets a fresh schema and a url
 * whose search_path points at it, so tests neither see nor disturb each other's tables. */
#ifndef PS_TESTS_PG_HELPER_H
#define PS_TESTS_PG_HELPER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The PostgreSQL url under test, or NULL when the suite runs on SQLite only. */
static inline __attribute__((unused)) const char *ps_test_pg_base(void)
{
    const char *u = getenv("PS_TEST_DB");
    if (!u || (strncmp(u, "postgresql://", 13) != 0 && strncmp(u, "postgres://", 11) != 0))
        return NULL;
    return u;
}

static inline void ps_test_pg_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Runs one SQL command on the base url; false on any failure (message on stderr). */
static inline __attribute__((unused)) bool ps_test_pg_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PQsetNoticeProcessor(c, ps_test_pg_quiet, NULL);
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok)
            fprintf(stderr, "pg_helper: %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    } else {
        fprintf(stderr, "pg_helper: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return ok;
}

/* Creates schema "t_<pid>_<n>" and writes into url (cap bytes) the base url with
 * options=-csearch_path=<schema>; schema (cap 64) gets the name. False when PS_TEST_DB is
 * unset or the schema cannot be made. Criterion forks per test, so pid + counter is unique. */
static inline __attribute__((unused)) bool ps_test_pg_fresh(char *url, size_t cap, char *schema)
{
    static unsigned counter;
    const char *base = ps_test_pg_base();
    if (!base)
        return false;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int n = snprintf(schema, 64, "t_%ld_%u_%ld", (long)getpid(), counter++, (long)ts.tv_nsec);
    if (n < 0 || n >= 64)
        return false;
    char sql[160];
    n = snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
                 schema);
    if (n < 0 || (size_t)n >= sizeof sql || !ps_test_pg_exec(base, sql))
        return false;
    n = snprintf(url, cap, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?",
                 schema);
    return n > 0 && (size_t)n < cap;
}

/* Drops a schema made by ps_test_pg_fresh (best effort). */
static inline __attribute__((unused)) void ps_test_pg_drop(const char *schema)
{
    const char *base = ps_test_pg_base();
    char sql[128];
    int n = snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    if (base && n > 0 && (size_t)n < sizeof sql)
        (void)ps_test_pg_exec(base, sql);
}

#endif
