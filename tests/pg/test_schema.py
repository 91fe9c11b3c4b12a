"""Both migration dialects build the same schema: applies migrations/sqlite/*.sql to an
in-memory SQLite and migrations/postgres/*.sql to a fresh PostgreSQL database (PS_TEST_DB),
one version at a time, and after each version compares tables, columns in order (with
compatible types and the same nullability), unique / primary-key / plain indexes by their
columns, and row triggers by timing and event (the append-only guards). A migration missing from, or different in, one dialect fails here.

Python 3 standard library plus the psql client. Skipped when PS_TEST_DB is unset."""
import os
import re
import sqlite3
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIG = os.environ.get("PS_MIGRATIONS_DIR") or os.path.join(ROOT, "migrations")
NAME_RE = re.compile(r"^([0-9]{4})_([a-z0-9_]+)\.sql$")
URL = os.environ.get("PS_TEST_DB", "")

# Type classes: what a column holds as far as the store's bind/column calls are concerned.
PG_CLASS = {
    "smallint": "int", "integer": "int", "bigint": "int", "boolean": "int",
    "text": "text", "character varying": "text", "character": "text", "json": "text",
    "jsonb": "text", "uuid": "text", "bytea": "blob", "real": "real",
    "double precision": "real", "numeric": "numeric",
}


def sqlite_class(decl):
    """SQLite's affinity rules (datatype3.html section 3.1), BOOLEAN read as an integer."""
    d = decl.upper()
    if "INT" in d or d == "BOOLEAN":
        return "int"
    if "CHAR" in d or "CLOB" in d or "TEXT" in d:
        return "text"
    if "BLOB" in d or d == "":
        return "blob"
    if "REAL" in d or "FLOA" in d or "DOUB" in d:
        return "real"
    return "numeric"


def migrations(dialect):
    d = os.path.join(MIG, dialect)
    out = {}
    for fn in sorted(os.listdir(d)):
        m = NAME_RE.match(fn)
        if m:
            out[int(m.group(1))] = os.path.join(d, fn)
    return out


def sqlite_schema(db):
    tables = {}
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    for t in names:
        cols, pk = [], []
        for cid, name, decl, notnull, _dflt, pkpos in db.execute("PRAGMA table_info(%s)" % t):
            cols.append((name, sqlite_class(decl or ""), bool(notnull or pkpos)))
            if pkpos:
                pk.append((pkpos, name))
        idx = set()
        if pk:
            idx.add(("primary", tuple(n for _, n in sorted(pk))))
        for _seq, iname, unique, origin, partial in db.execute("PRAGMA index_list(%s)" % t):
            if origin == "pk":
                continue
            icols = tuple(r[2] if r[2] is not None else "<expr>"
                          for r in db.execute("PRAGMA index_info(%s)" % iname))
            kind = "unique" if unique else "index"
            idx.add((kind + (" partial" if partial else ""), icols))
        tables[t] = (cols, idx, set())
    for tbl, sql in db.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"):
        m = re.search(r"\b(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|UPDATE|DELETE)\b", sql, re.I)
        if m:
            tables[tbl][2].add((m.group(1).upper(), m.group(2).upper()))
    return tables


def psql(url, sql=None, file=None):
    args = ["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url]
    if file:
        args += ["-1", "-f", file]
    else:
        args += ["-c", sql]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("psql %s: %s" % (file or sql, r.stderr.strip()))
    return [line.split("\t") for line in r.stdout.splitlines() if line]


PG_COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable
FROM information_schema.columns c
WHERE table_schema = current_schema()
  AND EXISTS (SELECT 1 FROM information_schema.tables t WHERE t.table_schema = c.table_schema
              AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE')
ORDER BY table_name, ordinal_position"""

PG_INDEXES = """
SELECT t.relname, i.indisprimary, i.indisunique, i.indpred IS NOT NULL,
       array_to_string(ARRAY(
         SELECT coalesce(a.attname, '<expr>')
         FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(n, o)
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n
         ORDER BY k.o), ',')
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace ns ON ns.oid = t.relnamespace
WHERE ns.nspname = current_schema()"""


PG_TRIGGERS = """
SELECT DISTINCT event_object_table, action_timing, event_manipulation
FROM information_schema.triggers WHERE trigger_schema = current_schema()"""


def pg_schema(url):
    tables = {}
    for t, col, typ, nullable in psql(url, PG_COLUMNS):
        tables.setdefault(t, ([], set(), set()))[0].append(
            (col, PG_CLASS.get(typ, "other:" + typ), nullable == "NO"))
    for t, prim, uniq, partial, cols in psql(url, PG_INDEXES):
        kind = "primary" if prim == "t" else "unique" if uniq == "t" else "index"
        if partial == "t":
            kind += " partial"
        tables[t][1].add((kind, tuple(cols.split(","))))
    for t, timing, event in psql(url, PG_TRIGGERS):
        tables[t][2].add((timing, event))
    return tables


def with_search_path(url, schema):
    sep = "&" if "?" in url else "?"
    return "%s%soptions=-csearch_path%%3D%s" % (url, sep, schema)


@unittest.skipUnless(URL.startswith(("postgresql://", "postgres://")), "PS_TEST_DB not set")
class SchemaEquivalence(unittest.TestCase):
    def setUp(self):
        self.schema = "schema_check_%d" % os.getpid()
        psql(URL, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s" % (self.schema, self.schema))
        self.url = with_search_path(URL, self.schema)

    def tearDown(self):
        psql(URL, "DROP SCHEMA IF EXISTS %s CASCADE" % self.schema)

    def test_same_versions_without_gaps(self):
        lite, pg = sorted(migrations("sqlite")), sorted(migrations("postgres"))
        self.assertEqual(lite, pg)
        self.assertEqual(lite, list(range(1, len(lite) + 1)), "versions must be 1..N")

    def test_every_version_builds_the_same_schema(self):
        lite, pg = migrations("sqlite"), migrations("postgres")
        db = sqlite3.connect(":memory:")
        for v in sorted(set(lite) | set(pg)):
            self.assertIn(v, lite, "migration %04d has no SQLite version" % v)
            self.assertIn(v, pg, "migration %04d has no PostgreSQL version" % v)
            with open(lite[v], encoding="utf-8") as f:
                db.executescript("BEGIN;" + f.read() + ";COMMIT;")
            psql(self.url, file=pg[v])
            a, b = sqlite_schema(db), pg_schema(self.url)
            where = "after %s" % os.path.basename(lite[v])
            self.assertEqual(sorted(a), sorted(b), "tables differ " + where)
            for t in a:
                self.assertEqual(a[t][0], b[t][0], "columns of %s differ %s" % (t, where))
                self.assertEqual(a[t][1], b[t][1], "indexes of %s differ %s" % (t, where))
                self.assertEqual(a[t][2], b[t][2], "triggers of %s differ %s" % (t, where))


if __name__ == "__main__":
    unittest.main()
