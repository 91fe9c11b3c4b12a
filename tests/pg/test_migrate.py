"""Several processes opening one empty PostgreSQL database at the same moment all start: the
migrations run once, one process after the other (an advisory lock, READ COMMITTED), and every
process sees them applied. Uses pg_writer (tests/pg/pg_writer.c) as the opening process.

Needs PS_TEST_DB and PS_BUILD."""
import os
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
URL = os.environ.get("PS_TEST_DB", "")
BUILD = os.environ.get("PS_BUILD", os.path.join(ROOT, "build"))
WRITER = os.path.join(BUILD, "tests", "unit", "pg_writer")
MIGRATIONS = len([f for f in os.listdir(os.path.join(ROOT, "migrations", "postgres"))
                  if f.endswith(".sql")])


def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("psql: %s" % r.stderr.strip())
    return r.stdout.splitlines()


@unittest.skipUnless(URL and os.path.exists(WRITER), "needs PS_TEST_DB and pg_writer")
class ConcurrentFirstStart(unittest.TestCase):
    def test_processes_migrate_one_empty_database_at_once(self):
        for rnd in range(3):
            schema = "migrate_%d_%d" % (os.getpid(), rnd)
            psql(URL, "DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}; CREATE TABLE "
                      "{0}.pg_writer_keys (k TEXT PRIMARY KEY, n BIGINT NOT NULL)".format(schema))
            url = "%s%soptions=-csearch_path%%3D%s" % (URL, "&" if "?" in URL else "?", schema)
            try:
                procs = [subprocess.Popen([WRITER, url, "1", "1", "1",
                                           os.path.join("/tmp", "%s.%d" % (schema, i))],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True) for i in range(4)]
                outs = [p.communicate(timeout=60) for p in procs]
                for p, (out, err) in zip(procs, outs):
                    self.assertEqual(p.returncode, 0, "a process failed to open: " + err)
                rows = psql(url, "SELECT count(*), count(DISTINCT version) FROM schema_migrations")
                self.assertEqual(rows, ["%d|%d" % (MIGRATIONS, MIGRATIONS)])
            finally:
                psql(URL, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
                for i in range(4):
                    for ext in ("acked", "attempted"):
                        try:
                            os.remove(os.path.join("/tmp", "%s.%d.%s" % (schema, i, ext)))
                        except OSError:
                            pass


if __name__ == "__main__":
    unittest.main()
