"""An existing database still opens after the migration files were renamed by their owning
module (0003_registry split into 0003_registries_persons and the access log's table in
0004_tlog): databases built from the files as they were released (tests/fixtures/migrations-v6,
recorded in schema_migrations under their old names, as an older pocketstate left them) are
opened by `pocketstate init`, which applies what they lack, and end with exactly the schema a
new database gets. A database at version 3 is the case the split touches: its access_log came
from the old 0003, and the new 0004 must take it as it is. On SQLite (the sqlite3 module) and,
under scripts/pg-suite.sh, on PostgreSQL (psql)."""
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from psserver import pg_env, run_cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "migrations-v6")
# every migration this tree ships: a database of any older version ends at the last one
LATEST = max(int(fn[:4]) for fn in os.listdir(os.path.join(ROOT, "migrations", "sqlite"))
             if re.match(r"^\d{4}_[a-z0-9_]+\.sql$", fn))
CREATE_MIGRATIONS = ("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                     "name TEXT NOT NULL, applied_at TEXT NOT NULL)")


def fixture_files(dialect, upto):
    d = os.path.join(FIXTURES, dialect)
    out = []
    for fn in sorted(os.listdir(d)):
        m = re.match(r"^(\d{4})_([a-z0-9_]+)\.sql$", fn)
        if m and int(m.group(1)) <= upto:
            out.append((int(m.group(1)), m.group(2), os.path.join(d, fn)))
    return out


def sqlite_schema(db):
    """Everything that makes the schema, in a comparable form."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        objs = sorted(c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                "WHERE name NOT LIKE 'sqlite_%'").fetchall())
        out = []
        for typ, name, tbl, sql in objs:
            text = re.sub(r"\s+", " ", sql or "")
            text = re.sub(r"IF NOT EXISTS ", "", text)
            out.append((typ, name, tbl, text))
            if typ == "table":
                out.append(("columns", name, c.execute("PRAGMA table_info(%s)" % name).fetchall()))
        return out
    finally:
        c.close()


def psql(url, sql=None, path=None):
    args = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url]
    args += ["-f", path] if path else ["-c", sql]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("psql: %s" % r.stderr)
    return r.stdout


PG_SCHEMA_SQL = """
SELECT 'column', table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema = current_schema()
UNION ALL
SELECT 'index', tablename, indexname, indexdef, '', '' FROM pg_indexes
 WHERE schemaname = current_schema()
UNION ALL
SELECT 'constraint', c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), '', ''
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname = current_schema()
UNION ALL
SELECT 'trigger', event_object_table, trigger_name, action_timing, event_manipulation,
       action_statement
  FROM information_schema.triggers WHERE trigger_schema = current_schema()
ORDER BY 1, 2, 3, 4, 5, 6
"""


def pg_schema(url):
    """PG_SCHEMA_SQL's rows with the schema's own name taken out of the definitions."""
    name = psql(url, "SELECT current_schema()").strip()
    return psql(url, PG_SCHEMA_SQL).replace(name + ".", "S.")


class MigrationsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ps-migrations-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.pg = bool(os.environ.get("PS_TEST_DB"))

    # ---- SQLite ----
    def old_sqlite(self, upto):
        db = os.path.join(self.dir, "old-%d.db" % upto)
        c = sqlite3.connect(db)
        c.execute(CREATE_MIGRATIONS)
        for version, name, path in fixture_files("sqlite", upto):
            with open(path, encoding="utf-8") as f:
                c.executescript(f.read())
            c.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-11-01T00:00:00.000Z')",
                      (version, name))
            c.commit()
        c.close()
        return db

    def init(self, name, db_url, env=None):
        d = os.path.join(self.dir, name)
        r = run_cli("init", "--data", d, "--db", db_url, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return d

    def test_sqlite_databases_of_every_version_open(self):
        if self.pg:
            self.skipTest("SQLite files: not run on PostgreSQL")
        fresh = os.path.join(self.dir, "fresh.db")
        self.init("fresh", "sqlite:" + fresh)
        want = sqlite_schema(fresh)
        for upto in (3, 4, 6):
            db = self.old_sqlite(upto)
            d = self.init("old%d" % upto, "sqlite:" + db)
            self.assertEqual(sqlite_schema(db), want, "from version %d" % upto)
            c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
            names = dict(c.execute("SELECT version, name FROM schema_migrations").fetchall())
            c.close()
            self.assertEqual(sorted(names), list(range(1, LATEST + 1)))
            self.assertEqual(names[3], "registry" if upto >= 3 else "registries_persons",
                             "a recorded migration keeps the name it was applied under")
            if upto == 3:
                self.assertEqual(names[4], "tlog")
            r = run_cli("log", "verify", "--data", d, "--window", "0", timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    # ---- PostgreSQL ----
    def pg_url(self, tag):
        return pg_env("migrations_%s" % tag)["POCKETSTATE_DB"]

    def test_postgres_databases_of_every_version_open(self):
        if not self.pg:
            self.skipTest("PostgreSQL only (scripts/pg-suite.sh)")
        fresh = self.pg_url("fresh")
        self.init("fresh", fresh, env=dict(os.environ, POCKETSTATE_DB=fresh))
        want = pg_schema(fresh)
        for upto in (3, 6):
            url = self.pg_url("old%d" % upto)
            psql(url, CREATE_MIGRATIONS)
            for version, name, path in fixture_files("postgres", upto):
                psql(url, path=path)
                psql(url, "INSERT INTO schema_migrations VALUES (%d, '%s', "
                          "'2026-11-01T00:00:00.000Z')" % (version, name))
            self.init("old%d" % upto, url, env=dict(os.environ, POCKETSTATE_DB=url))
            self.maxDiff = None
            self.assertEqual(pg_schema(url), want, "from version %d" % upto)
            rows = psql(url, "SELECT version, name FROM schema_migrations ORDER BY version")
            self.assertEqual([int(x.split("|")[0]) for x in rows.split()], list(range(1, LATEST + 1)))
            self.assertIn("3|registry", rows.split())


if __name__ == "__main__":
    unittest.main()
