"""The transparency log over HTTP against a demo server: person reads become log entries within
seconds; /checkpoint, /tile/..., /tile/entries/..., the proof routes and the log key agree with
each other (RFC 9162 checked independently with hashlib); tile paths are parsed strictly (400)
and tiles beyond the checkpoint are 404; "who used my data" lists the reads with proofs and
commitments the subject can recompute; cosignature submission refuses what it cannot verify;
`pocketstate log witnesses` configures witnesses on the running server's database, whose
cosignatures are then accepted and served. Skipped while the server has no /checkpoint. Python
standard library and the openssl CLI (Ed25519 witness keys)."""
import base64
import hashlib
import json
import os
import struct
import subprocess
import tempfile
import time
import unittest

from psserver import ServerTestCase, assert_problem, make_rnokpp, run_cli
from rfc9162 import leaf_hash, mth, node_hash, verify_inclusion

READS = 12
WAIT_S = 30


def verify_consistency(m, n, proof, root_m, root_n):
    """RFC 9162 2.1.4.2 (0 < m < n)."""
    if m == n:
        return not proof and root_m == root_n
    if m & (m - 1) == 0:
        proof = [root_m] + list(proof)
    if not proof:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root_m and sr == root_n


def parse_checkpoint(text):
    body, _, sigs = text.partition("\n\n")
    lines = body.split("\n")
    return lines[0], int(lines[1]), base64.b64decode(lines[2]), sigs


def bundle_entries(data):
    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack(">H", data[i:i + 2])
        out.append(data[i + 2:i + 2 + n])
        i += 2 + n
    return out


class WitnessKey:
    """A C2SP tlog-cosignature (cosignature/v1) witness key made with the openssl CLI."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.TemporaryDirectory()
        self.pem = os.path.join(self.dir.name, "k.pem")
        der = os.path.join(self.dir.name, "pub.der")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.pem],
                       check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", self.pem, "-pubout", "-outform", "DER",
                        "-out", der], check=True, capture_output=True)
        with open(der, "rb") as f:
            pub = f.read()[-32:]
        self.key_id = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
        self.vkey = "%s+%s+%s" % (name, self.key_id.hex(),
                                  base64.b64encode(b"\x04" + pub).decode())

    def cosign(self, note, timestamp=1700000000):
        """The cosignature/v1 line for the signed note `note` (its text: up to the blank line):
        Ed25519 over "cosignature/v1\\ntime T\\n" + text, sent as key id || T || signature."""
        text = note.split(b"\n\n", 1)[0] + b"\n"
        msg = os.path.join(self.dir.name, "msg")
        with open(msg, "wb") as f:
            f.write(b"cosignature/v1\ntime %d\n" % timestamp + text)
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", self.pem,
                              "-in", msg], check=True, capture_output=True).stdout
        blob = self.key_id + struct.pack(">Q", timestamp) + sig
        return ("\u2014 %s %s\n" % (self.name, base64.b64encode(blob).decode())).encode()

    def close(self):
        self.dir.cleanup()


class TlogTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "demo", "citizens": 50}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.people = cls.server.known_rnokpps(limit=4)

    def setUp(self):
        if self.server.get("/checkpoint").status == 404 and \
                self.server.get("/.well-known/pocketstate/log-key").status in (404, 503):
            self.skipTest("the server does not serve the log yet")

    def read_people(self):
        for i in range(READS):
            r = self.server.get("/api/v1/registry/persons/%s?purpose=http-test-%d"
                                % (self.people[i % len(self.people)], i), auth=True)
            self.assertEqual(r.status, 200, r)

    def wait_size(self, at_least):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            r = self.server.get("/checkpoint")
            if r.status == 200:
                origin, size, root, sigs = parse_checkpoint(r.body.decode())
                if size >= at_least:
                    return origin, size, root, sigs, r
            time.sleep(0.2)
        self.fail("no checkpoint of size >= %d within %d s" % (at_least, WAIT_S))

    def entries(self, size):
        """All entries of the tree of `size` through the bundles."""
        out = []
        for n in range((size + 255) // 256):
            w = min(256, size - n * 256)
            path = "/tile/entries/%03d" % n + ("" if w == 256 else ".p/%d" % w)
            r = self.server.get(path)
            self.assertEqual(r.status, 200, r)
            out += bundle_entries(r.body)
        return out

    def test_checkpoint_tiles_and_proofs_agree(self):
        self.read_people()
        origin, size, root, sigs, r = self.wait_size(READS)
        self.assertTrue(r.header("content-type").startswith("text/plain"), r)
        self.assertIn("no-cache", r.header("cache-control") or "")
        key = self.server.get("/.well-known/pocketstate/log-key")
        self.assertEqual(key.status, 200, key)
        self.assertTrue(key.body.decode().startswith(origin + "+"), (origin, key.body))
        self.assertIn("\u2014 " + origin + " ", sigs)
        entries = self.entries(size)
        self.assertEqual(len(entries), size)
        leaves = [leaf_hash(e) for e in entries]
        self.assertEqual(mth(leaves), root, "checkpoint root != root of the entries")
        w = size % 256
        tile = self.server.get("/tile/0/000" + ("" if size >= 256 else ".p/%d" % w))
        self.assertEqual(tile.status, 200, tile)
        self.assertIn("immutable", tile.header("cache-control") or "")
        self.assertEqual(tile.body, b"".join(leaves[:min(size, 256)]))
        for i in range(size):
            p = self.server.get("/api/v1/log/proof/inclusion?index=%d&size=%d" % (i, size))
            self.assertEqual(p.status, 200, p)
            path = [base64.b64decode(h) for h in p.json()["hashes"]]
            self.assertTrue(verify_inclusion(leaves[i], i, size, path, root), i)
        for m in (1, size // 2, size - 1):
            if m < 1:
                continue
            p = self.server.get("/api/v1/log/proof/consistency?first=%d&second=%d" % (m, size))
            self.assertEqual(p.status, 200, p)
            proof = [base64.b64decode(h) for h in p.json()["hashes"]]
            self.assertTrue(verify_consistency(m, size, proof, mth(leaves[:m]), root), m)
        for e in entries:
            j = json.loads(e)
            self.assertEqual(list(j), ["v", "id", "time", "actor", "action", "commitment"])
            self.assertEqual(e, json.dumps(j, separators=(",", ":"), ensure_ascii=False).encode())
            for rnokpp in self.people:
                self.assertNotIn(rnokpp.encode(), e)

    def test_metrics(self):
        self.read_people()
        self.wait_size(READS)
        deadline = time.monotonic() + WAIT_S
        while True:
            m = self.server.get("/metrics").body.decode()
            sizes = [int(l.split()[1]) for l in m.splitlines()
                     if l.startswith("pocketstate_tlog_tree_size ")]
            self.assertEqual(len(sizes), 1, m[-800:])
            if sizes[0] >= READS:
                break
            if time.monotonic() > deadline:
                self.fail("tree size metric stays at %d" % sizes[0])
            time.sleep(0.2)
        self.assertIn("pocketstate_tlog_round_failures_total 0", m)

    def test_bad_and_missing_tiles(self):
        _, size, _, _, _ = self.wait_size(0)
        for bad in ("/tile/0/0001", "/tile/0/x000/001", "/tile/00/000", "/tile/0/000.p/0",
                    "/tile/0/000.p/256", "/tile/64/000", "/tile/entries/1", "/tile/0/abc"):
            with self.subTest(path=bad):
                assert_problem(self, self.server.get(bad), 400)
        assert_problem(self, self.server.get("/tile/0/x001/000"), 404)
        assert_problem(self, self.server.get("/tile/entries/%03d" % (size // 256 + 1)), 404)
        assert_problem(self, self.server.get(
            "/api/v1/log/proof/inclusion?index=0&size=%d" % (size + 1000)), 404)
        assert_problem(self, self.server.get("/api/v1/log/proof/inclusion?index=5&size=5"), 400)
        assert_problem(self, self.server.get("/api/v1/log/proof/inclusion?index=x&size=5"), 400)
        assert_problem(self, self.server.get(
            "/api/v1/log/proof/consistency?first=9&second=3"), 400)

    def test_who_used_my_data(self):
        who = self.people[0]
        path = "/api/v1/registry/persons/%s/access-log" % who
        assert_problem(self, self.server.get(path), 401)
        assert_problem(self, self.server.get(path + "?limit=0", auth=True), 400)
        assert_problem(self, self.server.get(path + "?before=nope", auth=True), 400)
        self.read_people()
        deadline = time.monotonic() + WAIT_S
        while True:
            r = self.server.get(path + "?limit=100", auth=True)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            reads = [e for e in page["entries"] if e["action"] == "person.read"]
            if reads and all("inclusionProof" in e for e in reads):
                break
            if time.monotonic() > deadline:
                self.fail("reads not sequenced within %d s: %r" % (WAIT_S, page))
            time.sleep(0.3)
        _, size, root, _ = parse_checkpoint(page["checkpoint"])
        self.assertEqual(size, page["treeSize"])
        self.assertEqual(page["entries"][0]["action"], "access-log.read")  # this very read
        for e in reads:
            entry = e["entry"].encode()
            proof = [base64.b64decode(h) for h in e["inclusionProof"]]
            self.assertTrue(verify_inclusion(leaf_hash(entry), e["index"], size, proof, root))
            salt = base64.b64decode(e["salt"])
            h = hashlib.sha256(salt)
            for part in (who, e["resource"], e["purpose"]):
                b = part.encode()
                h.update(struct.pack(">I", len(b)) + b)
            self.assertEqual(json.loads(entry)["commitment"],
                             base64.b64encode(h.digest()).decode())
        ids = [e["id"] for e in page["entries"]]
        self.assertEqual(ids, sorted(ids, reverse=True))
        one = self.server.get(path + "?limit=1", auth=True).json()
        self.assertIn("next", one)
        older = self.server.get(path + "?limit=1&before=" + one["next"], auth=True).json()
        self.assertLess(older["entries"][0]["id"], one["next"])
        assert_problem(self, self.server.get(path + "?limit=1&before=" + one["next"].upper(),
                                             auth=True), 400)

    def test_access_log_of_nobody_is_404_like_the_person_read(self):
        # a valid RNOKPP that no one has: the same answer as reading the person, not an
        # empty list (which would look like "nobody read it")
        nobody = make_rnokpp(1000, 123, 1)  # born in 1902: not in the demo population
        assert_problem(self, self.server.get("/api/v1/registry/persons/" + nobody, auth=True),
                       404)
        assert_problem(self, self.server.get(
            "/api/v1/registry/persons/%s/access-log" % nobody, auth=True), 404)

    def test_cosignatures_refused_without_witnesses(self):
        _, _, _, _, r = self.wait_size(0)
        assert_problem(self, self.server.request("POST", "/api/v1/log/cosignatures",
                                                 body=b"garbage"), 400)
        fake = r.body + ("\u2014 witness.example/w %s\n"
                         % base64.b64encode(bytes(76)).decode()).encode()
        assert_problem(self, self.server.request("POST", "/api/v1/log/cosignatures",
                                                 body=fake), 400)
        # the checkpoint alone (only the log's own line) is accepted with nothing stored
        ok = self.server.request("POST", "/api/v1/log/cosignatures", body=r.body)
        self.assertEqual(ok.status, 200, ok)
        self.assertEqual(ok.json(), {"stored": 0})

    def witnesses(self, *args):
        return run_cli("log", "witnesses", "--data", self.server.data, *args,
                       env=self.server.env)

    def wait_action(self, after, action):
        """The size of the first checkpoint with an entry `action` at index >= after."""
        deadline = time.monotonic() + WAIT_S
        while True:
            _, size, _, _, _ = self.wait_size(after + 1)
            if action in [json.loads(e)["action"] for e in self.entries(size)[after:]]:
                return size
            if time.monotonic() > deadline:
                self.fail("no %s entry after index %d within %d s" % (action, after, WAIT_S))
            time.sleep(0.2)

    def post_cosigned(self, w):
        """Cosigns the latest checkpoint with w and posts it: (response, line, size)."""
        r = self.server.get("/checkpoint")
        self.assertEqual(r.status, 200, r)
        line = w.cosign(r.body)
        size = parse_checkpoint(r.body.decode())[1]
        return self.server.request("POST", "/api/v1/log/cosignatures", body=r.body + line), \
            line, size

    def test_witnesses_configured_from_the_cli(self):
        w = WitnessKey("witness.example/http-w1")
        self.addCleanup(w.close)
        _, size0, _, _, _ = self.wait_size(0)
        r = self.witnesses()
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        resp, _, _ = self.post_cosigned(w)
        assert_problem(self, resp, 400)  # not a witness yet

        r = self.witnesses("--add", w.vkey, "--reason", "http test")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "added witness %s\n" % w.vkey)
        r = self.witnesses()
        self.assertEqual((r.returncode, r.stdout), (0, w.vkey + "\n"), r.stderr)
        # the change is in the log (sequenced by the running server, no restart)
        size = self.wait_action(size0, "tlog.witness.add")

        for _ in range(5):  # a record committed meanwhile may move the checkpoint on
            resp, line, cosigned = self.post_cosigned(w)
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.json(), {"stored": 1})
            served = self.server.get("/checkpoint")
            if parse_checkpoint(served.body.decode())[1] == cosigned:
                break
        self.assertEqual(parse_checkpoint(served.body.decode())[1], cosigned)
        self.assertTrue(served.body.endswith(line), served.body)

        r = self.witnesses("--add", w.vkey)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("is already configured", r.stderr)
        logkey = self.server.get("/.well-known/pocketstate/log-key").body.decode().strip()
        r = self.witnesses("--add", logkey)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("not cosignature/v1", r.stderr)
        r = self.witnesses("--add", w.vkey, "--remove", w.name)
        self.assertEqual(r.returncode, 2, r)
        r = self.witnesses("--reason", "nothing to do")
        self.assertEqual(r.returncode, 2, r)
        r = self.witnesses("--remove", "witness.example/nobody")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("no witness named witness.example/nobody", r.stderr)

        r = self.witnesses("--remove", w.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "removed witness %s\n" % w.vkey)
        r = self.witnesses()
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.wait_action(size, "tlog.witness.remove")
        resp, _, _ = self.post_cosigned(w)
        assert_problem(self, resp, 400)


if __name__ == "__main__":
    unittest.main()
