"""Helpers for the HTTP tests: run the real `pocketstate` binary on loopback and talk to it.

PS_BIN names the binary (default: build/pocketstate). PS_TEST_LOGDIR, when set, keeps each
server's output there (scripts/test.sh points it at BUILD/test-logs); otherwise it goes to the
temporary data directory, which is removed when the server stops cleanly.
Python 3 standard library only."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PS_BIN = os.environ.get("PS_BIN") or os.path.join(ROOT, "build", "pocketstate")
LOGDIR = os.environ.get("PS_TEST_LOGDIR")
HOST = "127.0.0.1"
PROBLEM_BASE = "https://pocketstate.dev/problems/"
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# Startup can be slow under AddressSanitizer, and the demo loads its population first.
START_TIMEOUT_S = float(os.environ.get("PS_TEST_START_TIMEOUT", "60"))
STOP_TIMEOUT_S = 30


def free_port():
    """A port that was free a moment ago (bind to port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run_cli(*args, timeout=60, env=None):
    """Runs `pocketstate ARGS`; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([PS_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def rnokpp_check_digit(d9):
    w = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
    return str(sum(int(c) * k for c, k in zip(d9, w)) % 11 % 10)


def make_rnokpp(days, serial3, sex_digit):
    """A valid RNOKPP: days since 1899-12-31, a 3-digit serial and the sex digit (odd: male)."""
    d9 = "%05d%03d%d" % (days, serial3, sex_digit)
    return d9 + rnokpp_check_digit(d9)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value (last one wins)
        self.header_list = None
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.headers.get("content-type"), self.body[:300])


def pg_env(name):
    """With PS_TEST_DB set (scripts/pg-suite.sh), an environment whose POCKETSTATE_DB points
    at a fresh PostgreSQL schema for one server; None (inherit) otherwise."""
    base = os.environ.get("PS_TEST_DB")
    if not base:
        return None
    tag = "http_%s_%d_%d" % (name, os.getpid(), time.monotonic_ns())
    schema = re.sub(r"[^a-z0-9_]", "_", tag.lower())[:60]
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", base, "-c",
                    "CREATE SCHEMA %s" % schema], check=True, capture_output=True, timeout=60)
    env = dict(os.environ)
    env["POCKETSTATE_DB"] = "%s%soptions=-csearch_path%%3D%s" % (
        base, "&" if "?" in base else "?", schema)
    return env


class Server:
    """One pocketstate process on a free loopback port with its own temporary data dir.

    mode "serve": `init --data D` (then `limits` are merged into D/config.json), then
    `serve --data D --listen 127.0.0.1:PORT`. mode "demo": `demo --data D --citizens N
    --listen ...` (initialises, loads, serves)."""

    def __init__(self, name, mode="serve", limits=None, citizens=200, extra_args=(),
                 config=None):
        self.name = name
        self.mode = mode
        self.limits = limits or {}
        self.config = config or {}  # other top-level keys of config.json (serve mode)
        self.citizens = citizens
        self.extra_args = list(extra_args)
        self.proc = None
        self.data = None
        self.port = None
        self.token = None
        self.log_path = None
        self._log = None
        self.env = None  # set by start(): PostgreSQL under scripts/pg-suite.sh

    # ---- lifecycle ----
    def start(self):
        self.data = tempfile.mkdtemp(prefix="ps-http-%s-" % self.name)
        self.env = pg_env(self.name)
        if self.mode == "serve":
            r = run_cli("init", "--data", self.data, env=self.env)
            if r.returncode != 0:
                raise RuntimeError("pocketstate init failed (%d): %s%s"
                                   % (r.returncode, r.stdout, r.stderr))
            if self.limits or self.config:
                self._merge_limits()
        logdir = LOGDIR or self.data
        os.makedirs(logdir, exist_ok=True)
        self.log_path = os.path.join(logdir, "server-%s.log" % self.name)
        for attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            self._spawn()
            try:
                self._wait_up()
                break
            except RuntimeError:
                if self.proc.poll() is None or attempt == 2 or "in use" not in self.log_tail():
                    raise
        self.token = self._read_token()
        return self

    def _merge_limits(self):
        path = os.path.join(self.data, "config.json")
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
        cfg.setdefault("limits", {}).update(self.limits)
        for key, value in self.config.items():
            if isinstance(value, dict):
                cfg.setdefault(key, {}).update(value)
            else:
                cfg[key] = value
        with open(path, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=2)

    def _spawn(self):
        listen = "%s:%d" % (HOST, self.port)
        if self.mode == "demo":
            args = ["demo", "--data", self.data, "--citizens", str(self.citizens),
                    "--listen", listen]
        else:
            args = ["serve", "--data", self.data, "--listen", listen]
        self._log = open(self.log_path, "ab")
        self._log.write(("\n==== %s %s\n" % (PS_BIN, " ".join(args + self.extra_args))).encode())
        self._log.flush()
        self.proc = subprocess.Popen([PS_BIN, *args, *self.extra_args], stdin=subprocess.DEVNULL,
                                     env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def _wait_up(self):
        deadline = time.monotonic() + START_TIMEOUT_S * (3 if self.mode == "demo" else 1)
        path = "/readyz" if self.mode == "demo" else "/healthz"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %d before answering:\n%s"
                                   % (self.mode, self.proc.returncode, self.log_tail()))
            try:
                if self.get(path, timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("%s did not answer %s within the start timeout:\n%s"
                           % (self.mode, path, self.log_tail()))

    def _read_token(self):
        path = os.path.join(self.data, "admin.token")
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        except OSError:
            return None

    def stop(self):
        """SIGTERM, wait; returns the exit status (None if it had to be killed)."""
        rc = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif self.proc:
            rc = self.proc.returncode
        if self._log:
            self._log.close()
        if rc == 0 and self.data:
            shutil.rmtree(self.data, ignore_errors=True)
        return rc

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- requests ----
    def request(self, method, path, headers=None, body=None, timeout=10, auth=False):
        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = "Bearer " + (self.token or "")
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def wait_healthy(self, timeout=10):
        """True when /healthz answers 200 within timeout (connections just closed by a test
        may take a moment to be released)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz", timeout=2).status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def connect(self, source_ip=None, timeout=10):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if source_ip:
            s.bind((source_ip, 0))
        s.connect((HOST, self.port))
        return s

    # ---- data ----
    def known_rnokpps(self, limit=20):
        """RNOKPPs present in the store, read from the SQLite file directly (read-only), or
        from the server's PostgreSQL schema under scripts/pg-suite.sh."""
        if self.env:
            r = subprocess.run(["psql", "-X", "-At", "-d", self.env["POCKETSTATE_DB"], "-c",
                                "SELECT rnokpp FROM persons ORDER BY rnokpp LIMIT %d" % limit],
                               capture_output=True, text=True, timeout=60)
            return r.stdout.split() if r.returncode == 0 else []
        for name in sorted(os.listdir(self.data)):
            if not name.endswith(".db"):
                continue
            uri = "file:%s?mode=ro" % os.path.join(self.data, name)
            db = sqlite3.connect(uri, uri=True, timeout=10)
            try:
                tables = [r[0] for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")]
                for t in tables:
                    cols = [r[1] for r in db.execute("PRAGMA table_info(\"%s\")" % t)]
                    if "rnokpp" in cols:
                        rows = db.execute("SELECT rnokpp FROM \"%s\" ORDER BY rowid LIMIT ?"
                                          % t, (limit,)).fetchall()
                        if rows:
                            return [str(r[0]) for r in rows]
            finally:
                db.close()
        return []


# ---- raw HTTP over a socket, for requests http.client will not send ----

def recv_all(sock, timeout, max_bytes=1 << 20):
    """Reads until the peer closes, timeout passes or max_bytes arrive. Returns (data,
    closed) where closed tells whether the peer closed (EOF or reset)."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline and len(data) < max_bytes:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            if data and b"\r\n\r\n" in data and _complete(data):
                return data, False
            continue
        except (ConnectionResetError, BrokenPipeError):
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def _complete(data):
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    return m is not None and len(body) >= int(m.group(1))


def status_of(raw):
    """Status code of the first response in raw bytes, or None."""
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


def headers_of(raw):
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1")
    out = {}
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        out[k.strip().lower()] = v.strip()
    return out


def body_of(raw):
    return raw.partition(b"\r\n\r\n")[2]


def raw_exchange(server, data, timeout=10, source_ip=None):
    """Sends data on a new connection; returns (raw response, closed)."""
    s = server.connect(source_ip=source_ip, timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        return recv_all(s, timeout)
    finally:
        s.close()


# ---- assertions shared by the suites ----

def assert_problem(tc, resp, status):
    """resp is an RFC 9457 problem with the given status."""
    tc.assertEqual(resp.status, status, resp)
    ctype = resp.header("content-type") or ""
    tc.assertTrue(ctype.startswith("application/problem+json"), "content-type %r" % ctype)
    p = resp.json()
    for key in ("type", "title", "status", "detail"):
        tc.assertIn(key, p, "problem lacks %r: %r" % (key, p))
    tc.assertEqual(p["status"], status)
    tc.assertIsInstance(p["type"], str)
    tc.assertTrue(p["type"].startswith(PROBLEM_BASE) or p["type"] == "about:blank", p["type"])
    tc.assertTrue(isinstance(p["title"], str) and p["title"], p)
    tc.assertTrue(isinstance(p["detail"], str) and p["detail"], p)
    return p


def assert_raw_problem(tc, raw, status):
    tc.assertEqual(status_of(raw), status, raw[:500])
    r = Response(status, headers_of(raw), body_of(raw))
    return assert_problem(tc, r, status)


class ServerTestCase:
    """Mixin for unittest.TestCase: one server per class. Subclasses set SERVER_ARGS (kwargs
    for Server). tearDownClass asserts that SIGTERM stops it with exit status 0."""
    SERVER_ARGS = {}
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.__name__, **cls.SERVER_ARGS)
        try:
            cls.server.start()
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        srv = cls.server
        alive = srv.alive()
        rc = srv.stop()
        if not alive:
            raise AssertionError("server died during the tests (exit %r):\n%s"
                                 % (srv.proc.returncode, srv.log_tail()))
        if rc != 0:
            raise AssertionError("SIGTERM: server exited with %r, expected 0:\n%s"
                                 % (rc, srv.log_tail()))

    def assertHealthy(self):
        self.assertTrue(self.server.alive(), "server died:\n" + self.server.log_tail())
        self.assertTrue(self.server.wait_healthy(), "/healthz no longer answers 200:\n"
                        + self.server.log_tail())
