"""Acknowledged means durable, across a PostgreSQL stop/start under write load: pg_writer
(tests/pg/pg_writer.c) inserts sequential keys through ps_store_write from several threads
with two committers while the test stops the server (fast shutdown, then an immediate one,
which is a crash) and starts it again. Afterwards every acknowledged key is in the table and
every key in the table was attempted; the writers recover and keep committing.

Needs PS_TEST_DB, PS_PG_DIR (the cluster scripts/pg.sh started) and PS_BUILD."""
import os
import signal
import subprocess
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
URL = os.environ.get("PS_TEST_DB", "")
PG_DIR = os.environ.get("PS_PG_DIR", "")
BUILD = os.environ.get("PS_BUILD", os.path.join(ROOT, "build"))
WRITER = os.path.join(BUILD, "tests", "unit", "pg_writer")
PG_SH = os.path.join(ROOT, "scripts", "pg.sh")


def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("psql: %s" % r.stderr.strip())
    return r.stdout.splitlines()


def pg(cmd, mode=None):
    args = [PG_SH, cmd, PG_DIR] + ([mode] if mode else [])
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def read_keys(path):
    with open(path, encoding="ascii") as f:
        return [line.strip() for line in f if line.strip()]


@unittest.skipUnless(URL and PG_DIR and os.path.exists(WRITER),
                     "needs PS_TEST_DB, PS_PG_DIR and the pg_writer binary")
class DurabilityAcrossRestart(unittest.TestCase):
    def setUp(self):
        self.schema = "durability_%d" % os.getpid()
        psql(URL, "DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}; CREATE TABLE "
                  "{0}.pg_writer_keys (k TEXT PRIMARY KEY, n BIGINT NOT NULL)".format(self.schema))
        self.url = "%s%soptions=-csearch_path%%3D%s" % (URL, "&" if "?" in URL else "?",
                                                        self.schema)
        self.out = os.path.join(PG_DIR + ".durability")

    def tearDown(self):
        pg("start")  # whatever happened, leave the server up for the next suite
        psql(URL, "DROP SCHEMA IF EXISTS %s CASCADE" % self.schema)
        for ext in ("acked", "attempted"):
            try:
                os.remove("%s.%s" % (self.out, ext))
            except OSError:
                pass

    def count(self):
        try:
            return int(psql(URL, "SELECT count(*) FROM %s.pg_writer_keys" % self.schema)[0])
        except (AssertionError, subprocess.TimeoutExpired):
            return -1  # the server is still recovering

    def test_acknowledged_writes_survive_stop_and_crash(self):
        # The writers run until told to stop (at most 120 s): through a fast stop and a crash,
        # and then until the table has grown again after the last start, however long the
        # recovery takes on a loaded machine.
        w = subprocess.Popen([WRITER, self.url, "8", "120", "2", self.out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        grew = False
        try:
            time.sleep(2.0)
            pg("stop", "fast")
            time.sleep(1.0)
            pg("start")
            time.sleep(2.0)
            pg("stop", "immediate")  # a crash: recovery replays the WAL
            time.sleep(1.0)
            pg("start")
            first = -1
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and w.poll() is None:
                n = self.count()
                if first < 0:
                    first = n
                elif n > first + 100:
                    grew = True
                    break
                time.sleep(0.5)
            w.send_signal(signal.SIGTERM)
            out, err = w.communicate(timeout=60)
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        self.assertEqual(w.returncode, 0, "pg_writer failed: %s %s" % (out, err))
        acked = read_keys(self.out + ".acked")
        attempted = set(read_keys(self.out + ".attempted"))
        table = set(psql(URL, "SELECT k FROM %s.pg_writer_keys" % self.schema))
        missing = [k for k in acked if k not in table]
        extra = sorted(table - attempted)
        self.assertEqual(missing, [], "acknowledged but lost (%s)" % out.strip())
        self.assertEqual(extra, [], "present but never attempted")
        self.assertGreater(len(acked), 100, out)
        self.assertLess(len(acked), len(attempted), "the restarts should have failed some writes")
        # the writers recovered: rows were committed after the last start
        self.assertTrue(grew, "no write was committed after the restarts (%s)" % out.strip())
        print("durability: %s in table %d" % (out.strip(), len(table)))


if __name__ == "__main__":
    unittest.main()
