"""The pocketstate command line: exit statuses (0 ok, 2 usage), --version, --help, and
`init` being idempotent and keeping its secrets private."""
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import tempfile
import time
import unittest

from psserver import HOST, PS_BIN, Server, ServerTestCase, free_port, run_cli


def pg_free_env():
    """The environment without POCKETSTATE_DB: a demo of its own data directory."""
    env = dict(os.environ)
    env.pop("POCKETSTATE_DB", None)
    return env


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ps-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_version(self):
        r = run_cli("--version")
        self.assertEqual(r.returncode, 0, r)
        self.assertRegex(r.stdout, r"\d+\.\d+\.\d+")

    def test_help(self):
        r = run_cli("--help")
        self.assertEqual(r.returncode, 0, r)
        for cmd in ("init", "serve", "demo"):
            self.assertIn(cmd, r.stdout)

    def test_demo_on_a_taken_port_fails_before_loading(self):
        held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(held.close)
        held.bind((HOST, 0))
        held.listen(1)
        port = held.getsockname()[1]
        r = run_cli("demo", "--data", os.path.join(self.dir, "d"), "--citizens", "200000",
                    "--listen", "%s:%d" % (HOST, port), timeout=60, env=pg_free_env())
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("cannot listen on %s:%d: Address already in use" % (HOST, port), r.stderr)
        self.assertNotIn("loading", r.stdout + r.stderr, "the population was not loaded first")

    def test_demo_takes_db_like_init_and_serve(self):
        """--db names the database: recorded in the new config.json as init does, used as
        serve does (over POCKETSTATE_DB), and nothing is made at the default place."""
        other = os.path.join(self.dir, "elsewhere")
        os.mkdir(other)
        db = os.path.join(other, "demo.db")
        s = Server("demo-db", mode="demo", citizens=20, extra_args=("--db", "sqlite:" + db))
        s.start()
        try:
            with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as c:
                self.assertEqual(c.execute("SELECT count(*) FROM persons").fetchone()[0], 20)
                rnokpp = c.execute("SELECT rnokpp FROM persons LIMIT 1").fetchone()[0]
            self.assertFalse(os.path.exists(os.path.join(s.data, "pocketstate.db")))
            with open(os.path.join(s.data, "config.json")) as f:
                self.assertIn('"db": "sqlite:%s"' % db, f.read())
            r = s.get("/api/v1/registry/persons/%s?purpose=demo-db-test" % rnokpp, auth=True)
            self.assertEqual(r.status, 200, r)
        finally:
            self.assertEqual(s.stop(), 0)
        r = run_cli("demo", "--data", os.path.join(self.dir, "bad"), "--db", "mysql://x")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("--db", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "bad")), "refused before init")

    def test_help_command_is_the_command_help(self):
        for args in (["init"], ["serve"], ["demo"], ["backup"], ["routes"], ["log"],
                     ["log", "verify"], ["log", "proof"], ["log", "key"], ["log", "witnesses"],
                     ["expr"]):
            a = run_cli("help", *args)
            b = run_cli(*args, "--help")
            self.assertEqual(a.returncode, 0, a)
            self.assertEqual(b.returncode, 0, b)
            self.assertEqual(a.stdout, b.stdout, "help %s" % " ".join(args))
            self.assertTrue(a.stdout.startswith("Usage: pocketstate " + " ".join(args)), a.stdout)
        self.assertEqual(run_cli("help", "log", "nope").returncode, 2)
        self.assertEqual(run_cli("help", "serve", "x").returncode, 2)

    def test_unknown_command_exit_2(self):
        r = run_cli("frobnicate")
        self.assertEqual(r.returncode, 2, r)
        self.assertTrue(r.stderr.strip(), "no message on stderr")

    def test_unknown_flag_exit_2(self):
        r = run_cli("serve", "--no-such-flag")
        self.assertEqual(r.returncode, 2, r)

    def test_serve_bad_listen_exit_2(self):
        data = os.path.join(self.dir, "d")
        self.assertEqual(run_cli("init", "--data", data).returncode, 0)
        for bogus in ("bogus", "127.0.0.1", "127.0.0.1:99999", "localhost:8080x", ":"):
            with self.subTest(listen=bogus):
                r = run_cli("serve", "--data", data, "--listen", bogus, timeout=20)
                self.assertEqual(r.returncode, 2, r)
                self.assertTrue(r.stderr.strip(), "no message on stderr")

    def test_init_idempotent(self):
        data = os.path.join(self.dir, "d")
        r1 = run_cli("init", "--data", data)
        self.assertEqual(r1.returncode, 0, r1)
        token_path = os.path.join(data, "admin.token")
        with open(token_path) as f:
            token1 = f.read()
        with open(os.path.join(data, "config.json")) as f:
            config1 = f.read()
        r2 = run_cli("init", "--data", data)
        self.assertEqual(r2.returncode, 0, r2)
        with open(token_path) as f:
            self.assertEqual(f.read(), token1, "second init replaced the admin token")
        with open(os.path.join(data, "config.json")) as f:
            self.assertEqual(f.read(), config1, "second init rewrote config.json")

    def test_init_files_private(self):
        data = os.path.join(self.dir, "d")
        self.assertEqual(run_cli("init", "--data", data).returncode, 0)
        for name in ("admin.token", "config.json"):
            with self.subTest(file=name):
                mode = stat.S_IMODE(os.stat(os.path.join(data, name)).st_mode)
                self.assertEqual(mode & 0o077, 0, "%s is mode %o" % (name, mode))
        with open(os.path.join(data, "admin.token")) as f:
            token = f.read().strip()
        self.assertGreaterEqual(len(token), 32, "admin token too short to be a secret")
        self.assertTrue(re.fullmatch(r"[A-Za-z0-9._~+/=-]+", token), "token not header-safe")


if __name__ == "__main__":
    unittest.main()


class BackupTest(ServerTestCase, unittest.TestCase):
    """`pocketstate backup DEST` while the server runs: a consistent copy with every person."""
    SERVER_ARGS = {"mode": "demo", "citizens": 120}

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ps-backup-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_backup_on_postgresql_explains_pg_dump(self):
        if not self.server.env:
            self.skipTest("PostgreSQL only (scripts/pg-suite.sh)")
        dest = os.path.join(self.dir, "copy.db")
        r = run_cli("backup", "--data", self.server.data, dest, timeout=60, env=self.server.env)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("pg_dump", r.stderr)
        self.assertFalse(os.path.exists(dest) or os.path.exists(dest + ".partial"))

    def test_backup_while_serving(self):
        if self.server.env:
            self.skipTest("SQLite only: PostgreSQL backups are pg_dump's (docs/deploy.md)")
        for rnokpp in self.server.known_rnokpps(limit=3):  # writes while the copy is taken
            self.assertEqual(self.server.get("/api/v1/registry/persons/" + rnokpp,
                                             auth=True).status, 200)
        dest = os.path.join(self.dir, "copy.db")
        r = run_cli("backup", "--data", self.server.data, dest, timeout=60)
        self.assertEqual(r.returncode, 0, r)
        self.assertFalse(os.path.exists(dest + ".partial"))
        self.assertEqual(stat.S_IMODE(os.stat(dest).st_mode) & 0o077, 0, "copy readable by others")
        db = sqlite3.connect("file:%s?mode=ro" % dest, uri=True)
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(db.execute("SELECT count(*) FROM persons").fetchone()[0], 120)
            self.assertGreaterEqual(db.execute("SELECT count(*) FROM access_log").fetchone()[0], 3)
        finally:
            db.close()

    def test_backup_usage(self):
        self.assertEqual(run_cli("backup", "--data", self.server.data).returncode, 2)
        self.assertEqual(run_cli("backup", "--data", self.server.data, "a", "b").returncode, 2)


class DatabaseDownAtStartTest(unittest.TestCase):
    """serve with an unreachable database: it keeps retrying, answers /healthz 200 and
    /readyz (and every route) 503 not-ready meanwhile, and stops cleanly on SIGTERM."""

    def test_not_ready_until_the_database_answers(self):
        d = tempfile.mkdtemp(prefix="ps-dbdown-")
        self.addCleanup(shutil.rmtree, d, True)
        self.assertEqual(run_cli("init", "--data", os.path.join(d, "data")).returncode, 0)
        port = free_port()
        log = open(os.path.join(d, "serve.log"), "wb")
        self.addCleanup(log.close)
        # port 1 on loopback: nothing listens, so every connection is refused at once
        proc = subprocess.Popen([PS_BIN, "serve", "--data", os.path.join(d, "data"), "--db",
                                 "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1",
                                 "--listen", "%s:%d" % (HOST, port)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 20
            status = {}
            while time.monotonic() < deadline and set(status) != {"/healthz", "/readyz",
                                                                   "/api/v1/registry/persons/1"}:
                for path in ("/healthz", "/readyz", "/api/v1/registry/persons/1"):
                    try:
                        c = http.client.HTTPConnection(HOST, port, timeout=2)
                        c.request("GET", path)
                        r = c.getresponse()
                        status[path] = (r.status, r.getheader("Content-Type"), r.read())
                        c.close()
                    except OSError:
                        time.sleep(0.1)
            self.assertEqual(status.get("/healthz", (None,))[0], 200, status)
            for path in ("/readyz", "/api/v1/registry/persons/1"):
                st, ctype, body = status.get(path, (None, None, b""))
                self.assertEqual(st, 503, status)
                self.assertEqual(ctype, "application/problem+json")
                self.assertIn(b"not-ready", body)
            self.assertIsNone(proc.poll(), "serve gave up instead of retrying")
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=30)
        self.assertEqual(rc, 0)
