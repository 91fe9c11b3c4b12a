"""Tamper tests of `pocketstate log verify` against the real binary: a demo server records a few
hundred person reads, its integrator sequences them into the transparency log; the server is
stopped and copies of its database are tampered with through the sqlite3 CLI (append-only
triggers dropped first). Every tampering must make `log verify --data` exit 1 naming the first
bad entry or checkpoint; the untouched log must verify (exit 0). Also: `log verify --url`
against the live server, `log proof` checked with an independent RFC 9162 verifier in Python,
and `log key`. The log also carries a witness's cosignature of its latest checkpoint, so that
the checks only the local database allows are tried too: a log cut back consistently (entries,
hashes, checkpoints, tlog_state), a changed actor or purpose of an access record, a deleted
checkpoint, a deleted cosigned checkpoint and a changed cosignature. Skipped while the server
has no /checkpoint (integrator not built yet).
Under scripts/pg-suite.sh (PS_TEST_DB) LogVerifyPostgresTest does the same on a PostgreSQL
store: tampering in place with psql (triggers off for that session), then undoing it.
Python standard library, the sqlite3 CLI, psql and the openssl CLI (for a foreign Ed25519
key)."""
import base64
import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from psserver import HOST, Server, run_cli
from rfc9162 import leaf_hash, mth, verify_inclusion
from test_tlog import WitnessKey

READS = int(os.environ.get("PS_TEST_LOG_READS", "320"))
CHECKPOINT_WAIT_S = 30


def sqlite(db, sql):
    r = subprocess.run(["sqlite3", "-bail", db], input=sql, capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise AssertionError("sqlite3 failed: %s\n%s" % (r.stderr, sql))
    return r.stdout


def read_people(s, n, tag):
    """n person reads over one keep-alive connection, each with its own purpose (tag-i)."""
    people = s.known_rnokpps(limit=50)
    conn = http.client.HTTPConnection(HOST, s.port, timeout=10)
    for i in range(n):
        conn.request("GET", "/api/v1/registry/persons/%s?purpose=%s-%d"
                     % (people[i % len(people)], tag, i),
                     headers={"Authorization": "Bearer " + s.token})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise AssertionError("person read %d: %d" % (i, r.status))
    conn.close()


WITNESS = "witness.example/logverify"


def add_witness_and_cosign(s, state_size, env=None):
    """Adds a witness with the CLI (its change record is sequenced by the command), waits for
    the server to sign a checkpoint that holds it, cosigns that checkpoint and posts it.
    state_size() reads tlog_state.size. Returns (witness key, cosigned size)."""
    w = WitnessKey(WITNESS)
    r = run_cli("log", "witnesses", "--data", s.data, "--add", w.vkey, env=env)
    if r.returncode != 0:
        raise AssertionError("log witnesses --add: %s" % r.stderr)
    want = state_size()
    deadline = time.monotonic() + CHECKPOINT_WAIT_S
    while True:
        r = s.get("/checkpoint")
        size = int(r.body.decode().split("\n")[1])
        if size >= want:
            break
        if time.monotonic() > deadline:
            raise AssertionError("no checkpoint of size %d" % want)
        time.sleep(0.2)
    resp = s.request("POST", "/api/v1/log/cosignatures", body=r.body + w.cosign(r.body))
    if resp.status != 200 or resp.json() != {"stored": 1}:
        raise AssertionError("cosignature not stored: %r" % resp)
    w.close()
    return size


def truncation_sql(n, cosignatures):
    """Cuts the log back consistently at n entries: entries, the hashes they make, the
    checkpoints above n (and their cosignatures when asked), tlog_state."""
    sql = ["DELETE FROM tlog_entries WHERE idx >= %d;" % n]
    sql += ["DELETE FROM tlog_hashes WHERE level = %d AND idx >= %d;" % (lv, n >> lv)
            for lv in (0, 8, 16, 24)]
    sql.append("DELETE FROM tlog_checkpoints WHERE size > %d;" % n)
    if cosignatures:
        sql.append("DELETE FROM tlog_cosignatures WHERE size > %d;" % n)
    return "\n".join(sql)


def drop_triggers(db):
    names = sqlite(db, "SELECT name FROM sqlite_master WHERE type = 'trigger';").split()
    sqlite(db, "".join('DROP TRIGGER "%s";\n' % n for n in names))


def foreign_signature_line(name, text):
    """A signed-note line for text by a fresh Ed25519 key with the same name (openssl CLI)."""
    with tempfile.TemporaryDirectory() as d:
        key, msg, pub = (os.path.join(d, f) for f in ("k.pem", "msg", "pub.der"))
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True,
                       capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER", "-out", pub],
                       check=True, capture_output=True)
        with open(msg, "wb") as f:
            f.write(text)
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", msg],
                             check=True, capture_output=True).stdout
        with open(pub, "rb") as f:
            raw = f.read()[-32:]
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]
    return "\u2014 %s %s\n" % (name, base64.b64encode(key_id + sig).decode())


class LogVerifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.environ.get("PS_TEST_DB"):
            raise unittest.SkipTest("tampers with the SQLite file; not run on PostgreSQL")
        cls.server = Server("logverify", mode="demo", citizens=50).start()
        try:
            cls._fill()
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def _fill(cls):
        s = cls.server
        if s.get("/checkpoint").status != 200:
            raise unittest.SkipTest("no GET /checkpoint yet (the log integrator is not built)")
        read_people(s, READS, "tamper-test")
        db = os.path.join(s.data, "pocketstate.db")
        cls.cosigned = add_witness_and_cosign(
            s, lambda: int(sqlite(db, "SELECT size FROM tlog_state;").strip()))
        deadline = time.monotonic() + CHECKPOINT_WAIT_S
        while True:
            note = s.get("/checkpoint").body.decode()
            size = int(note.split("\n")[1])
            if size >= READS or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        cls.size = size
        cls.note = note
        # while it runs: the remote verification and a proof
        cls.key = run_cli("log", "key", "--data", s.data)
        cls.remote = run_cli("log", "verify", "--url", "http://%s:%d" % (HOST, s.port),
                             "--key", cls.key.stdout.strip(), timeout=120)
        cls.proof = run_cli("log", "proof", "5", "--data", s.data)
        data, s.data = s.data, None  # stop() would remove it after a clean stop
        rc = s.stop()
        if rc != 0:
            raise AssertionError("server did not stop cleanly: %r" % rc)
        cls.pristine = tempfile.mkdtemp(prefix="ps-logverify-")
        for name in os.listdir(data):
            if os.path.isfile(os.path.join(data, name)):
                shutil.copy2(os.path.join(data, name), cls.pristine)
        shutil.rmtree(data, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "pristine", None):
            shutil.rmtree(cls.pristine, ignore_errors=True)
        if cls.server.alive():
            cls.server.stop()

    # ---- helpers ----
    def copy(self):
        d = tempfile.mkdtemp(prefix="ps-logtamper-")
        self.addCleanup(shutil.rmtree, d, True)
        for name in os.listdir(self.pristine):
            shutil.copy2(os.path.join(self.pristine, name), d)
        os.chmod(d, 0o700)
        db = os.path.join(d, "pocketstate.db")
        drop_triggers(db)
        return d, db

    def verify(self, d):
        return run_cli("log", "verify", "--data", d, timeout=120)

    def assert_bad(self, d, pattern):
        r = self.verify(d)
        self.assertEqual(r.returncode, 1, "expected exit 1: %s %s" % (r.stdout, r.stderr))
        self.assertRegex(r.stderr, pattern)
        return r

    def entry(self, db, idx):
        return bytes.fromhex(sqlite(db, "SELECT hex(entry) FROM tlog_entries WHERE idx = %d;"
                                    % idx).strip())

    def checkpoints(self, db):
        rows = sqlite(db, "SELECT size FROM tlog_checkpoints ORDER BY size;").split()
        return [int(x) for x in rows]

    def note_of(self, db, size):
        h = sqlite(db, "SELECT hex(note) FROM tlog_checkpoints WHERE size = %d;" % size).strip()
        return bytes.fromhex(h).decode()

    def set_note(self, db, size, note):
        sqlite(db, "UPDATE tlog_checkpoints SET note = CAST(X'%s' AS TEXT) WHERE size = %d;"
               % (note.encode().hex(), size))

    def record_of(self, db, idx):
        return sqlite(db, "SELECT record_id FROM tlog_entries WHERE idx = %d;" % idx).strip()

    def truncate(self, db, cosignatures):
        """Cuts back at the first checkpoint above 0: returns (n, the first lost record)."""
        n = [x for x in self.checkpoints(db) if x > 0][0]
        lost = self.record_of(db, n)
        sqlite(db, truncation_sql(n, cosignatures) +
               "UPDATE tlog_state SET size = %d, last_record_id = '%s';"
               % (n, self.record_of(db, n - 1)))
        return n, lost

    # ---- tests ----
    def test_untouched_log_verifies(self):
        r = self.verify(self.pristine)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.match(r"log verified: (\d+) entries, (\d+) checkpoints, root (\S+)\n$", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertGreaterEqual(int(m.group(1)), READS)
        self.assertGreaterEqual(int(m.group(2)), 1)

    def test_remote_verify_while_serving(self):
        self.assertEqual(self.key.returncode, 0, self.key.stderr)
        self.assertEqual(self.remote.returncode, 0, self.remote.stderr)
        self.assertIn("log verified: %d entries" % self.size, self.remote.stdout)
        root = self.note.split("\n")[2]
        self.assertIn("root " + root, self.remote.stdout)

    def test_remote_forged_huge_checkpoint_is_refused_before_any_tile(self):
        # a log that serves a checkpoint claiming 10^12 entries under the real key's name and
        # key id, with a signature that is not the key's: verify must refuse it at once,
        # without walking (fetching) a single tile of the claimed size
        vkey = self.key.stdout.strip()
        name, key_id_hex, _ = vkey.split("+", 2)
        sig = base64.b64encode(bytes.fromhex(key_id_hex) + os.urandom(64)).decode()
        root = base64.b64encode(os.urandom(32)).decode()
        note = "%s\n%d\n%s\n\n\u2014 %s %s\n" % (name, 10 ** 12, root, name, sig)
        asked = []

        class Forged(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                asked.append(self.path)
                body = note.encode() if self.path == "/checkpoint" else b""
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer((HOST, 0), Forged)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        try:
            r = run_cli("log", "verify", "--url", "http://%s:%d" % (HOST, srv.server_port),
                        "--key", vkey, timeout=30)
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("latest checkpoint does not verify", r.stdout + r.stderr)
        self.assertEqual(asked, ["/checkpoint"])

    def test_proof_verifies_independently(self):
        self.assertEqual(self.proof.returncode, 0, self.proof.stderr)
        p = json.loads(self.proof.stdout)
        self.assertEqual(p["index"], 5)
        dec = base64.b64decode
        self.assertTrue(verify_inclusion(dec(p["leaf_hash"]), 5, p["size"],
                                         [dec(x) for x in p["path"]], dec(p["root"])))
        self.assertEqual(p["leaf_hash"], base64.b64encode(
            leaf_hash(self.entry(os.path.join(self.pristine, "pocketstate.db"), 5))).decode())

    def test_flipped_entry_byte(self):
        d, db = self.copy()
        e = bytearray(self.entry(db, 41))
        pos = max(i for i, c in enumerate(e) if chr(c).isdigit())
        e[pos] = ord("1") if e[pos] != ord("1") else ord("2")
        sqlite(db, "UPDATE tlog_entries SET entry = X'%s' WHERE idx = 41;" % bytes(e).hex())
        self.assert_bad(d, r"entry 41: ")

    def test_recorded_access_missing_from_the_log(self):
        d, db = self.copy()
        # an access recorded ten minutes before the last sequenced one, never sequenced: the
        # log is sound in itself, but a record of someone's data being read is not in it
        old = "%012x" % (int(time.time() * 1000) - 10 * 60 * 1000)
        rid = "%s-%s-7000-8000-000000000042" % (old[:8], old[8:12])
        sqlite(db, "INSERT INTO access_log (id, at_ms, actor_kind, actor_id, action, subject, "
                   "resource, purpose, salt) SELECT '%s', at_ms, actor_kind, actor_id, action, "
                   "subject, resource, purpose, salt FROM access_log LIMIT 1;" % rid)
        self.assert_bad(d, r"record %s is not in the log" % rid)

    def test_deleted_entry(self):
        d, db = self.copy()
        sqlite(db, "DELETE FROM tlog_entries WHERE idx = 17;")
        self.assert_bad(d, r"entry 17 is missing")

    def test_swapped_entries(self):
        d, db = self.copy()
        sqlite(db, "UPDATE tlog_entries SET idx = 999999999 WHERE idx = 5;"
                   "UPDATE tlog_entries SET idx = 5 WHERE idx = 6;"
                   "UPDATE tlog_entries SET idx = 6 WHERE idx = 999999999;")
        self.assert_bad(d, r"entry 5: leaf hash does not match stored tile hash")

    def test_stored_leaf_hash_changed(self):
        d, db = self.copy()
        sqlite(db, "UPDATE tlog_hashes SET hash = zeroblob(32) WHERE level = 0 AND idx = 99;")
        self.assert_bad(d, r"entry 99: leaf hash does not match stored tile hash")

    def test_checkpoint_signed_by_another_key(self):
        d, db = self.copy()
        sizes = self.checkpoints(db)
        size = sizes[len(sizes) // 2]
        note = self.note_of(db, size)
        text = note[:note.rindex("\n\n") + 1]
        name = text.split("\n")[0]
        self.set_note(db, size, text + "\n" + foreign_signature_line(name, text.encode()))
        self.assert_bad(d, r"checkpoint size %d: signature does not verify with key %s\+[0-9a-f]{8}"
                        % (size, re.escape(name)))

    def test_checkpoint_signature_bytes_changed(self):
        d, db = self.copy()
        size = self.checkpoints(db)[0]
        note = self.note_of(db, size)
        head, b64 = note.rstrip("\n").rsplit(" ", 1)
        raw = bytearray(base64.b64decode(b64))
        raw[10] ^= 1
        self.set_note(db, size, head + " " + base64.b64encode(bytes(raw)).decode() + "\n")
        self.assert_bad(d, r"checkpoint size %d: signature does not verify" % size)

    def test_checkpoint_replaced_by_another(self):
        d, db = self.copy()
        sizes = self.checkpoints(db)
        if len(sizes) < 2:
            self.skipTest("one checkpoint only")
        self.set_note(db, sizes[0], self.note_of(db, sizes[1]))
        self.assert_bad(d, r"checkpoint size %d: the note states size %d" % (sizes[0], sizes[1]))

    def test_rewritten_history_with_its_hashes(self):
        """An insider rewrites entry 41 and every stored hash above it: only the signed
        checkpoints still tell."""
        d, db = self.copy()
        e = bytearray(self.entry(db, 41))
        pos = max(i for i, c in enumerate(e) if chr(c).isdigit())
        e[pos] = ord("1") if e[pos] != ord("1") else ord("2")
        sqlite(db, "UPDATE tlog_entries SET entry = X'%s' WHERE idx = 41;" % bytes(e).hex())
        sqlite(db, "UPDATE tlog_hashes SET hash = X'%s' WHERE level = 0 AND idx = 41;"
               % leaf_hash(bytes(e)).hex())
        rows = sqlite(db, "SELECT hex(hash) FROM tlog_hashes WHERE level = 0 AND idx < 256 "
                          "ORDER BY idx;").split()
        if len(rows) == 256:
            top = mth([bytes.fromhex(h) for h in rows])
            sqlite(db, "UPDATE tlog_hashes SET hash = X'%s' WHERE level = 8 AND idx = 0;"
                   % top.hex())
        first = min(s for s in self.checkpoints(db) if s > 41)
        self.assert_bad(d, r"checkpoint size %d: root does not match entries 0\.\.%d"
                        % (first, first - 1))

    # ---- what only the local database tells ----
    def test_truncated_consistently(self):
        """Entries, hashes, checkpoints, cosignatures and tlog_state cut back together: the log
        alone is sound; the records it lost are not in it (every record must be, at rest)."""
        d, db = self.copy()
        n, lost = self.truncate(db, cosignatures=True)
        r = run_cli("log", "verify", "--data", d, "--window", "0", timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        m = re.search(r"record %s is not in the log \((\d+) recorded records missing\)" % lost,
                      r.stderr)
        self.assertTrue(m, r.stderr)
        self.assertGreaterEqual(int(m.group(1)), READS)

    def test_truncated_below_a_cosigned_checkpoint(self):
        d, db = self.copy()
        n, _ = self.truncate(db, cosignatures=False)
        self.assert_bad(d, r"entry %d is missing" % n)

    def test_record_actor_changed(self):
        d, db = self.copy()
        rid = self.record_of(db, 41)
        sqlite(db, "UPDATE access_log SET actor_id = 'someone-else' WHERE id = '%s';" % rid)
        self.assert_bad(d, r"entry 41: its actor does not match record %s" % rid)

    def test_record_purpose_changed(self):
        d, db = self.copy()
        rid = self.record_of(db, 41)
        sqlite(db, "UPDATE access_log SET purpose = 'another purpose' WHERE id = '%s';" % rid)
        self.assert_bad(d, r"entry 41: its commitment does not match the subject, resource, "
                           r"purpose and salt of record %s" % rid)

    def test_deleted_intermediate_checkpoint(self):
        d, db = self.copy()
        sizes = self.checkpoints(db)
        if len(sizes) < 2:
            self.skipTest("one checkpoint only")
        sqlite(db, "DELETE FROM tlog_checkpoints WHERE size = %d;" % sizes[-2])
        self.assert_bad(d, r"checkpoint size %d: the checkpoint signed before it, size %d, is "
                           r"missing from the log" % (sizes[-1], sizes[-2]))

    def test_deleted_cosigned_checkpoint(self):
        d, db = self.copy()
        sqlite(db, "DELETE FROM tlog_checkpoints WHERE size = %d;" % self.cosigned)
        self.assert_bad(d, r"checkpoint size %d is missing from the log, but witness %s cosigned "
                           r"it" % (self.cosigned, re.escape(WITNESS)))

    def test_changed_cosignature(self):
        d, db = self.copy()
        sqlite(db, "UPDATE tlog_cosignatures SET line = substr(line, 1, length(line) - 6) || "
                   "'AAAAA=';")
        self.assert_bad(d, r"checkpoint size %d: the cosignature of witness %s does not verify"
                        % (self.cosigned, re.escape(WITNESS)))


def psql(url, sql):
    """Runs sql in one session with triggers off (session_replication_role = replica: the
    append-only triggers do not fire; the test cluster's user is a superuser)."""
    r = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", url],
                       input="SET session_replication_role = replica;\n" + sql,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("psql failed: %s\n%s" % (r.stderr, sql))
    return r.stdout.split("\n", 1)[1] if r.stdout.startswith("SET\n") else r.stdout


@unittest.skipUnless(os.environ.get("PS_TEST_DB"), "PostgreSQL only (scripts/pg-suite.sh)")
class LogVerifyPostgresTest(unittest.TestCase):
    """The same verifier on a PostgreSQL store: the untouched log verifies by --data and by
    --url; each tampering (done past the store with psql, then undone) is found and named."""

    @classmethod
    def setUpClass(cls):
        cls.server = s = Server("logverifypg", mode="demo", citizens=50).start()
        try:
            read_people(s, 64, "pg-tamper")
            deadline = time.monotonic() + CHECKPOINT_WAIT_S
            while int(s.get("/checkpoint").body.decode().split("\n")[1]) < 64:
                if time.monotonic() > deadline:
                    raise AssertionError("no checkpoint of 64 entries")
                time.sleep(0.2)
            url = s.env["POCKETSTATE_DB"]
            cls.cosigned = add_witness_and_cosign(
                s, lambda: int(psql(url, "SELECT size FROM tlog_state;").strip()), env=s.env)
            cls.key = run_cli("log", "key", "--data", s.data, env=s.env)
            cls.remote = run_cli("log", "verify", "--url", "http://%s:%d" % (HOST, s.port),
                                 "--key", cls.key.stdout.strip(), timeout=120)
            cls.data, s.data = s.data, None  # kept for `log verify --data` after the stop
            rc = s.stop()
            if rc != 0:
                raise AssertionError("server did not stop cleanly: %r" % rc)
        except BaseException:
            if s.alive():
                s.stop()
            raise
        cls.env = s.env
        cls.url = s.env["POCKETSTATE_DB"]

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "data", None):
            shutil.rmtree(cls.data, ignore_errors=True)

    def verify(self, *args):
        return run_cli("log", "verify", "--data", self.data, *args, env=self.env, timeout=120)

    def assert_bad_then_restore(self, tamper, undo, pattern, args=()):
        psql(self.url, tamper)
        try:
            r = self.verify(*args)
            self.assertEqual(r.returncode, 1, "expected exit 1: %s %s" % (r.stdout, r.stderr))
            self.assertRegex(r.stderr, pattern)
        finally:
            psql(self.url, undo)
        r = self.verify()
        self.assertEqual(r.returncode, 0, "not restored: %s" % r.stderr)

    def entry_hex(self, idx):
        return psql(self.url, "SELECT encode(entry, 'hex') FROM tlog_entries WHERE idx = %d;"
                    % idx).strip()

    def test_untouched_log_verifies_by_data_and_url(self):
        self.assertEqual(self.key.returncode, 0, self.key.stderr)
        self.assertEqual(self.remote.returncode, 0, self.remote.stderr)
        r = self.verify()
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.match(r"log verified: (\d+) entries, (\d+) checkpoints, root (\S+)\n$", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertGreaterEqual(int(m.group(1)), 64)
        self.assertIn("root " + m.group(3), self.remote.stdout)

    def test_flipped_entry_byte(self):
        old = self.entry_hex(41)
        e = bytearray(bytes.fromhex(old))
        pos = max(i for i, c in enumerate(e) if chr(c).isdigit())
        e[pos] = ord("1") if e[pos] != ord("1") else ord("2")
        self.assert_bad_then_restore(
            "UPDATE tlog_entries SET entry = decode('%s', 'hex') WHERE idx = 41;" % e.hex(),
            "UPDATE tlog_entries SET entry = decode('%s', 'hex') WHERE idx = 41;" % old,
            r"entry 41: ")

    def test_deleted_entry(self):
        row = psql(self.url, "SELECT record_id || ' ' || encode(entry, 'hex') FROM tlog_entries "
                             "WHERE idx = 17;").split()
        self.assert_bad_then_restore(
            "DELETE FROM tlog_entries WHERE idx = 17;",
            "INSERT INTO tlog_entries (idx, record_id, entry) VALUES (17, '%s', "
            "decode('%s', 'hex'));" % (row[0], row[1]),
            r"entry 17 is missing")

    def test_checkpoint_signature_bytes_changed(self):
        size = int(psql(self.url, "SELECT min(size) FROM tlog_checkpoints;").strip())
        note = psql(self.url, "SELECT encode(convert_to(note, 'UTF8'), 'hex') FROM "
                              "tlog_checkpoints WHERE size = %d;" % size).strip()
        text = bytes.fromhex(note).decode()
        head, b64 = text.rstrip("\n").rsplit(" ", 1)
        raw = bytearray(base64.b64decode(b64))
        raw[10] ^= 1
        bad = head + " " + base64.b64encode(bytes(raw)).decode() + "\n"
        set_note = ("UPDATE tlog_checkpoints SET note = convert_from(decode('%s', 'hex'), "
                    "'UTF8') WHERE size = %d;")
        self.assert_bad_then_restore(set_note % (bad.encode().hex(), size),
                                     set_note % (note, size),
                                     r"checkpoint size %d: signature does not verify" % size)

    def test_recorded_access_missing_from_the_log(self):
        old = "%012x" % (int(time.time() * 1000) - 10 * 60 * 1000)
        rid = "%s-%s-7000-8000-000000000042" % (old[:8], old[8:12])
        self.assert_bad_then_restore(
            "INSERT INTO access_log (id, at_ms, actor_kind, actor_id, action, subject, resource, "
            "purpose, salt) SELECT '%s', at_ms, actor_kind, actor_id, action, subject, resource, "
            "purpose, salt FROM access_log LIMIT 1;" % rid,
            "DELETE FROM access_log WHERE id = '%s';" % rid,
            r"record %s is not in the log" % rid)

    # ---- what only the local database tells ----
    def record_of(self, idx):
        return psql(self.url, "SELECT record_id FROM tlog_entries WHERE idx = %d;" % idx).strip()

    def checkpoints(self):
        return [int(x) for x in psql(self.url, "SELECT size FROM tlog_checkpoints ORDER BY "
                                               "size;").split()]

    def truncation(self, cosignatures):
        """(n, first lost record, tamper, undo): the cut of truncation_sql, the rows it
        removes kept aside in tables of their own to be put back."""
        n = [x for x in self.checkpoints() if x > 0][0]
        lost, last = self.record_of(n), self.record_of(n - 1)
        hashes = " OR ".join("(level = %d AND idx >= %d)" % (lv, n >> lv) for lv in (0, 8, 16, 24))
        save = ("CREATE TABLE saved_e AS SELECT * FROM tlog_entries WHERE idx >= %d;"
                "CREATE TABLE saved_h AS SELECT * FROM tlog_hashes WHERE %s;"
                "CREATE TABLE saved_c AS SELECT * FROM tlog_checkpoints WHERE size > %d;"
                "CREATE TABLE saved_cs AS SELECT * FROM tlog_cosignatures WHERE size > %d;"
                "CREATE TABLE saved_s AS SELECT * FROM tlog_state;" % (n, hashes, n, n))
        tamper = save + truncation_sql(n, cosignatures) + \
            "UPDATE tlog_state SET size = %d, last_record_id = '%s';" % (n, last)
        undo = ("INSERT INTO tlog_entries SELECT * FROM saved_e;"
                "INSERT INTO tlog_hashes SELECT * FROM saved_h;"
                "INSERT INTO tlog_checkpoints SELECT * FROM saved_c;"
                "INSERT INTO tlog_cosignatures SELECT * FROM saved_cs ON CONFLICT DO NOTHING;"
                "UPDATE tlog_state t SET size = s.size, last_record_id = s.last_record_id "
                "FROM saved_s s WHERE t.id = s.id;"
                "DROP TABLE saved_e, saved_h, saved_c, saved_cs, saved_s;")
        return n, lost, tamper, undo

    def test_truncated_consistently(self):
        n, lost, tamper, undo = self.truncation(cosignatures=True)
        self.assert_bad_then_restore(tamper, undo,
                                     r"record %s is not in the log \(\d+ recorded records "
                                     r"missing\)" % lost, args=("--window", "0"))

    def test_truncated_below_a_cosigned_checkpoint(self):
        n, _, tamper, undo = self.truncation(cosignatures=False)
        self.assert_bad_then_restore(tamper, undo, r"entry %d is missing" % n)

    def test_record_actor_changed(self):
        rid = self.record_of(41)
        actor = psql(self.url, "SELECT actor_id FROM access_log WHERE id = '%s';" % rid).strip()
        set_actor = "UPDATE access_log SET actor_id = '%s' WHERE id = '" + rid + "';"
        self.assert_bad_then_restore(set_actor % "someone-else", set_actor % actor,
                                     r"entry 41: its actor does not match record %s" % rid)

    def test_record_purpose_changed(self):
        rid = self.record_of(41)
        purpose = psql(self.url, "SELECT encode(convert_to(purpose, 'UTF8'), 'hex') FROM "
                                 "access_log WHERE id = '%s';" % rid).strip()
        set_purpose = ("UPDATE access_log SET purpose = convert_from(decode('%s', 'hex'), "
                       "'UTF8') WHERE id = '" + rid + "';")
        self.assert_bad_then_restore(set_purpose % "another purpose".encode().hex(),
                                     set_purpose % purpose,
                                     r"entry 41: its commitment does not match the subject, "
                                     r"resource, purpose and salt of record %s" % rid)

    def delete_checkpoint(self, size):
        return ("CREATE TABLE saved_c AS SELECT * FROM tlog_checkpoints WHERE size = %d;"
                "DELETE FROM tlog_checkpoints WHERE size = %d;" % (size, size),
                "INSERT INTO tlog_checkpoints SELECT * FROM saved_c; DROP TABLE saved_c;")

    def test_deleted_intermediate_checkpoint(self):
        sizes = self.checkpoints()
        if len(sizes) < 2:
            self.skipTest("one checkpoint only")
        tamper, undo = self.delete_checkpoint(sizes[-2])
        self.assert_bad_then_restore(tamper, undo,
                                     r"checkpoint size %d: the checkpoint signed before it, size "
                                     r"%d, is missing from the log" % (sizes[-1], sizes[-2]))

    def test_deleted_cosigned_checkpoint(self):
        tamper, undo = self.delete_checkpoint(self.cosigned)
        self.assert_bad_then_restore(tamper, undo,
                                     r"checkpoint size %d is missing from the log, but witness "
                                     r"%s cosigned it" % (self.cosigned, re.escape(WITNESS)))

    def test_changed_cosignature(self):
        line = psql(self.url, "SELECT encode(convert_to(line, 'UTF8'), 'hex') FROM "
                              "tlog_cosignatures WHERE size = %d;" % self.cosigned).strip()
        bad = bytes.fromhex(line).decode()[:-6] + "AAAAA="
        set_line = ("UPDATE tlog_cosignatures SET line = convert_from(decode('%s', 'hex'), "
                    "'UTF8') WHERE size = " + str(self.cosigned) + ";")
        self.assert_bad_then_restore(set_line % bad.encode().hex(), set_line % line,
                                     r"checkpoint size %d: the cosignature of witness %s does "
                                     r"not verify" % (self.cosigned, re.escape(WITNESS)))
