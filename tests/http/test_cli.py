"""The pocketstate command line: exit statuses (0 ok, 2 usage), --version, --help, and
`init` being idempotent and keeping its secrets private."""
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import unittest

from psserver import ServerTestCase, run_cli


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
        if os.environ.get("PS_TEST_DB"):
            self.skipTest("SQLite only: PostgreSQL backups are pg_dump's (docs/deploy.md)")
        self.dir = tempfile.mkdtemp(prefix="ps-backup-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_backup_while_serving(self):
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
