"""Horizontal scale: two `pocketstate` processes on different ports share one PostgreSQL
database (same master key, own data directories). Node A loads the demo population; node B,
which never loaded anything, serves those persons; person reads through both nodes at once
(each read is a write job that appends to access_log) are all recorded exactly once.

Needs PS_TEST_DB and PS_BUILD (for BUILD/pocketstate)."""
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
URL = os.environ.get("PS_TEST_DB", "")
PG_DIR = os.environ.get("PS_PG_DIR", "")
PG_SH = os.path.join(ROOT, "scripts", "pg.sh")
BUILD = os.environ.get("PS_BUILD", os.path.join(ROOT, "build"))
BIN = os.path.join(BUILD, "pocketstate")


def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("psql: %s" % r.stderr.strip())
    return r.stdout.splitlines()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, token=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


class Node:
    def __init__(self, env, args):
        self.data = tempfile.mkdtemp(prefix="ps-scale-")
        self.port = free_port()
        self.log = open(os.path.join(self.data, "server.log"), "wb")
        self.proc = subprocess.Popen([BIN, *args(self.data, self.port)], env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("node exited: " + self.tail())
            try:
                if get(self.port, "/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("node not ready: " + self.tail())

    def tail(self):
        self.log.flush()
        with open(os.path.join(self.data, "server.log"), "rb") as f:
            return f.read()[-2000:].decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)
        return self.proc.returncode


@unittest.skipUnless(URL and os.path.exists(BIN), "needs PS_TEST_DB and BUILD/pocketstate")
class TwoNodesOneDatabase(unittest.TestCase):
    def setUp(self):
        self.schema = "scale_%d" % os.getpid()
        psql(URL, "DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}".format(self.schema))
        env = dict(os.environ)
        env["POCKETSTATE_DB"] = "%s%soptions=-csearch_path%%3D%s" % (
            URL, "&" if "?" in URL else "?", self.schema)
        env["POCKETSTATE_MASTER_KEY"] = secrets.token_hex(32)
        self.nodes = []
        # A first: it migrates and loads; B starts on the migrated database.
        self.a = Node(env, lambda d, p: ["demo", "--data", d, "--citizens", "40",
                                         "--listen", "127.0.0.1:%d" % p])
        self.nodes.append(self.a)
        self.a.wait_ready()
        with open(os.path.join(self.a.data, "admin.token"), encoding="ascii") as f:
            self.token = f.read().strip()

        def serve(d, p):
            r = subprocess.run([BIN, "init", "--data", d], env=env, capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return ["serve", "--data", d, "--listen", "127.0.0.1:%d" % p]
        self.b = Node(env, serve)
        self.nodes.append(self.b)
        self.b.wait_ready()

    def tearDown(self):
        rcs = [n.stop() for n in self.nodes]
        psql(URL, "DROP SCHEMA IF EXISTS %s CASCADE" % self.schema)
        self.assertEqual(rcs, [0] * len(rcs), "a node did not stop cleanly")

    def test_write_through_one_read_through_the_other(self):
        persons = psql(URL, "SELECT rnokpp FROM %s.persons ORDER BY rnokpp" % self.schema)
        self.assertEqual(len(persons), 40)
        # loaded by A, served by B, which never saw them
        status, body = get(self.b.port, "/api/v1/registry/persons/%s?purpose=scale-b"
                           % persons[0], self.token)
        self.assertEqual(status, 200, body)
        self.assertIn(persons[0].encode(), body)
        rows = psql(URL, "SELECT purpose FROM %s.access_log WHERE subject = '%s'"
                    % (self.schema, persons[0]))
        self.assertEqual(rows, ["scale-b"])

    def test_concurrent_reads_through_both_nodes_are_all_logged(self):
        persons = psql(URL, "SELECT rnokpp FROM %s.persons ORDER BY rnokpp" % self.schema)
        results = []
        lock = threading.Lock()

        def worker(k):
            for i in range(25):
                node = self.a if (k + i) % 2 else self.b
                p = persons[(k * 25 + i) % len(persons)]
                st, _ = get(node.port, "/api/v1/registry/persons/%s?purpose=load-%d-%d"
                            % (p, k, i), self.token)
                with lock:
                    results.append(st)
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results.count(200), 200, sorted(set(results)))
        n = psql(URL, "SELECT count(*), count(DISTINCT purpose) FROM %s.access_log "
                      "WHERE purpose LIKE 'load-%%'" % self.schema)
        self.assertEqual(n, ["200|200"])


    @unittest.skipUnless(PG_DIR, "needs PS_PG_DIR to restart the server")
    def test_nodes_recover_after_database_restart(self):
        persons = psql(URL, "SELECT rnokpp FROM %s.persons ORDER BY rnokpp LIMIT 4" % self.schema)
        path = "/api/v1/registry/persons/%s?purpose=restart" % persons[0]
        for n in self.nodes:
            self.assertEqual(get(n.port, path, self.token)[0], 200)
        subprocess.run([PG_SH, "stop", PG_DIR, "fast"], check=True, capture_output=True)
        try:
            for n in self.nodes:
                st, body = get(n.port, path, self.token)
                self.assertTrue(500 <= st < 600, "database down: %d %r" % (st, body[:200]))
                self.assertEqual(get(n.port, "/readyz")[0], 503)
                self.assertEqual(get(n.port, "/healthz")[0], 200, "the process stays alive")
        finally:
            subprocess.run([PG_SH, "start", PG_DIR], check=True, capture_output=True)
        # every node serves again within a few requests (each lost connection fails once)
        for n in self.nodes:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if get(n.port, path, self.token)[0] == 200:
                    break
                time.sleep(0.1)
            else:
                self.fail("node on port %d did not recover: %s" % (n.port, n.tail()))
            self.assertEqual(get(n.port, "/readyz")[0], 200)


if __name__ == "__main__":
    unittest.main()
