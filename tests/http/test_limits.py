"""Every limit of the HTTP edge against the real binary (ARCHITECTURE.md rule 6): header size
(431), body size (413, refused before the body is read), ambiguous body framing (400), idle and
whole-request timeouts (408 or close), connections per IP (429) and in total (503), body memory
against the request arena, malformed or mistyped JSON bodies (400/415). Limits are set low
through DATA/config.json "limits". After each abuse the server must still answer /healthz."""
import signal
import socket
import threading
import time
import unittest

from psserver import (PROBLEM_BASE, Server, ServerTestCase, assert_problem,
                      assert_raw_problem, headers_of, make_rnokpp, raw_exchange, recv_all,
                      status_of)

IDLE_S = 2
REQUEST_S = 3
PER_IP = 4
MAX_CONN = 8
MAX_BODY = 65536


def send_chunks_until_answer(s, total, chunk=b"x" * 8192):
    """Sends a chunked body of `total` bytes, looking for an answer after each chunk (a
    server that answers early and closes makes the kernel drop what it sent once our writes
    hit the closed socket). Returns what was read."""
    raw = b""
    sent = 0
    try:
        while sent < total:
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            got, closed = recv_all(s, timeout=0.02)
            raw += got
            if raw or closed:
                break
        else:
            s.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    more, _ = recv_all(s, timeout=5)
    return raw + more



class SizeLimitsTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"limits": {"max_header_bytes": 8192, "max_body_bytes": MAX_BODY}}

    def tearDown(self):
        self.assertHealthy()

    def test_header_over_8k_431(self):
        req = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
        raw, _ = raw_exchange(self.server, req)
        assert_raw_problem(self, raw, 431)

    def test_many_headers_over_8k_431(self):
        hdrs = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 500) for i in range(20))
        raw, _ = raw_exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + hdrs +
                              b"\r\n")
        assert_raw_problem(self, raw, 431)

    def test_header_under_limit_ok(self):
        req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 6000 + b"\r\n\r\n"
        raw, _ = raw_exchange(self.server, req)
        self.assertEqual(status_of(raw), 200, raw[:300])

    def test_long_request_line(self):
        raw, closed = raw_exchange(self.server, b"GET /" + b"a" * 9000 +
                                   b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(status_of(raw), (414, 431), raw[:300])

    def over_limit(self, method, path, content_length, extra=b""):
        """Sends only the head of a request with a body over the limit; returns the answer,
        which must come at once (the body is never sent)."""
        s = self.server.connect()
        try:
            s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s"
                      b"Content-Length: %d\r\n\r\n" % (method, path, extra, content_length))
            t0 = time.monotonic()
            raw, closed = recv_all(s, timeout=5)
            self.assertLess(time.monotonic() - t0, 5)
            return raw, closed
        finally:
            s.close()

    def test_body_over_limit_413_before_reading(self):
        # /healthz takes GET: the route exists, so only the body limit can refuse it.
        for cl in (MAX_BODY + 1, 10 ** 12):
            with self.subTest(content_length=cl):
                raw, closed = self.over_limit(b"GET", b"/healthz", cl)
                assert_raw_problem(self, raw, 413)
                self.assertTrue(closed, "connection kept open with an unread body")

    def test_body_at_limit_not_413(self):
        s = self.server.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                      % MAX_BODY + b" " * MAX_BODY)
            raw, _ = recv_all(s, timeout=5)
            self.assertEqual(status_of(raw), 200, raw[:300])
        finally:
            s.close()

    def test_chunked_body_over_limit_413(self):
        # No Content-Length: the server must count while it reads and stop at the limit.
        s = self.server.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            raw = send_chunks_until_answer(s, 4 * MAX_BODY)
            assert_raw_problem(self, raw, 413)
        finally:
            s.close()

    def test_chunked_body_just_over_limit_413(self):
        # The whole body (one chunk past the limit, then the last chunk) in one write.
        s = self.server.connect()
        try:
            body = b"".join(b"%x\r\n%s\r\n" % (4096, b"y" * 4096)
                            for _ in range(MAX_BODY // 4096 + 1)) + b"0\r\n\r\n"
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n" + body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            raw, closed = recv_all(s, timeout=5)
            assert_raw_problem(self, raw, 413)
            self.assertEqual(headers_of(raw).get("connection"), "close", raw[:300])
            if not closed:
                more, closed = recv_all(s, timeout=5)
            self.assertTrue(closed, "connection kept open after a 413")
        finally:
            s.close()

    def test_chunked_body_far_over_limit_413(self):
        # 64 times the limit: answered while the body still streams, never drained to the end.
        s = self.server.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            raw = send_chunks_until_answer(s, 64 * MAX_BODY, chunk=b"z" * 32768)
            assert_raw_problem(self, raw, 413)
        finally:
            s.close()

    def test_body_over_limit_other_routes_refused_at_once(self):
        # Routing may answer first (404/405); either way nothing waits for the body.
        for method, path in ((b"POST", b"/healthz"), (b"PUT", b"/no/such/route"),
                             (b"POST", b"/api/v1/registry/persons/3012011234")):
            with self.subTest(method=method, path=path):
                raw, closed = self.over_limit(method, path, 10 ** 9)
                self.assertIn(status_of(raw), (401, 404, 405, 413), raw[:300])
                self.assertTrue(closed, "connection kept open with an unread body")

    def test_body_with_expect_continue_413(self):
        raw, _ = self.over_limit(b"GET", b"/healthz", MAX_BODY * 4,
                                 extra=b"Expect: 100-continue\r\n")
        self.assertNotIn(b"100 Continue", raw[:40], "100 Continue for a body over the limit")
        self.assertEqual(status_of(raw), 413, raw[:300])

    def test_bad_content_length_400(self):
        for cl in (b"abc", b"-1", b"1, 2", b"99999999999999999999999"):
            with self.subTest(content_length=cl):
                raw, closed = raw_exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                           b"Content-Length: " + cl + b"\r\n\r\n", timeout=5)
                st = status_of(raw)
                self.assertTrue(st in (400, 413) or (st is None and closed), raw[:300])


class FramingTest(ServerTestCase, unittest.TestCase):
    """RFC 9112 6.1: a body framed two ways, or by a coding the edge does not read, is refused
    with 400 and the connection closed, so nothing behind it can be smuggled as a request."""

    def tearDown(self):
        self.assertHealthy()

    def refused(self, head, rest=b""):
        raw, closed = raw_exchange(self.server, head + rest, timeout=5)
        p = assert_raw_problem(self, raw, 400)
        self.assertEqual(p["type"], PROBLEM_BASE + "bad-request", p)
        self.assertEqual(headers_of(raw).get("connection"), "close", raw[:300])
        self.assertTrue(closed, "connection kept open after an ambiguous framing")
        self.assertEqual(raw.count(b"HTTP/1.1 "), 1, "a smuggled request was answered: %r" % raw)

    def test_content_length_and_transfer_encoding_400(self):
        smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        for head in (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Length: 40\r\n\r\n"):
            with self.subTest(head=head):
                self.refused(head, b"3\r\nabc\r\n0\r\n\r\n" + smuggled)

    def test_transfer_encoding_other_than_chunked_400(self):
        for te in (b"Transfer-Encoding: gzip", b"Transfer-Encoding: gzip, chunked",
                   b"Transfer-Encoding: chunked, identity", b"Transfer-Encoding: chunked ",
                   b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"):
            with self.subTest(te=te):
                self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + te + b"\r\n\r\n",
                             b"0\r\n\r\n")

    def test_chunked_any_case_accepted(self):
        s = self.server.connect()
        try:
            for te in (b"chunked", b"Chunked", b"CHUNKED"):
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                          b"\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
                raw, closed = recv_all(s, timeout=5)
                self.assertEqual(status_of(raw), 200, raw[:300])
                self.assertFalse(closed, "keep-alive lost after a chunked body")
        finally:
            s.close()


class BodyMemoryTest(ServerTestCase, unittest.TestCase):
    """A body within the limit is never refused for want of memory: 3 MiB chunked with the
    default 4 MiB request arena (growing it inside the arena used to need about twice that)."""
    SERVER_ARGS = {"limits": {"max_body_bytes": 3 * 1024 * 1024}}

    def tearDown(self):
        self.assertHealthy()

    def test_chunked_body_near_limit_ok(self):
        s = self.server.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"q" * 65536
            for _ in range(48):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            s.sendall(b"0\r\n\r\n")
            raw, closed = recv_all(s, timeout=10)
            self.assertEqual(status_of(raw), 200, raw[:300])
            self.assertFalse(closed)
        finally:
            s.close()

    def test_body_limit_over_arena_refused_at_start(self):
        srv = Server("BodyOverArena", limits={"max_body_bytes": 8 * 1024 * 1024,
                                              "arena_bytes": 4 * 1024 * 1024})
        try:
            with self.assertRaises(RuntimeError) as cm:
                srv.start()
            # the config loader refuses it before the server would (ps_http_start checks too)
            self.assertIn("limits.arena_bytes (4194304) must be at least "
                          "limits.max_body_bytes (8388608)", str(cm.exception))
        finally:
            srv.stop()


class TimeoutsTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"limits": {"idle_timeout_s": IDLE_S, "request_timeout_s": REQUEST_S}}

    def tearDown(self):
        self.assertHealthy()

    def test_half_request_line_times_out(self):
        s = self.server.connect()
        try:
            s.sendall(b"GET /heal")
            t0 = time.monotonic()
            raw, closed = recv_all(s, timeout=IDLE_S + 8)
            took = time.monotonic() - t0
            st = status_of(raw)
            self.assertTrue(st == 408 or (not raw and closed),
                            "after %.1f s: %r closed=%s" % (took, raw[:200], closed))
            self.assertLess(took, IDLE_S + 6)
        finally:
            s.close()

    def test_trickled_headers_hit_request_deadline(self):
        # One header byte every 0.3 s keeps an idle timer alive; the whole-request deadline
        # must still end it.
        s = self.server.connect()
        t0 = time.monotonic()
        raw, closed = b"", False
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            limit = REQUEST_S + 6
            while time.monotonic() - t0 < limit:
                try:
                    s.sendall(b"X")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                raw, closed = recv_all(s, timeout=0.3)
                if raw or closed:
                    break
            took = time.monotonic() - t0
            st = status_of(raw)
            self.assertTrue(st == 408 or (closed and not raw),
                            "after %.1f s: %r closed=%s" % (took, raw[:200], closed))
            self.assertLess(took, REQUEST_S + 5)
        finally:
            s.close()

    def test_garbage_request_line(self):
        # Garbage where a request line should be is refused from its first bytes (the edge
        # reads the head itself before libmicrohttpd, which would have waited on a line
        # starting with NUL): 400 problem+json at once, then the connection closes.
        s = self.server.connect()
        try:
            s.sendall(b"\x00\x01\x02\r\n\r\n")
            t0 = time.monotonic()
            raw, closed = recv_all(s, timeout=IDLE_S + 8)
            took = time.monotonic() - t0
            assert_raw_problem(self, raw, 400)
            if not closed:
                _, closed = recv_all(s, timeout=5)
            self.assertTrue(closed, "connection kept open after %.1f s" % took)
            self.assertLess(took, IDLE_S + 1)
        finally:
            s.close()

    def test_request_line_without_space_closed(self):
        # MHD 0.9.75 closes at once on a request line without a space, with no answer.
        for line in (b"GARBAGE", b"\x01\x02"):
            with self.subTest(line=line):
                raw, closed = raw_exchange(self.server, line + b"\r\n\r\n", timeout=5)
                self.assertTrue(closed, raw[:200])
                self.assertIn(status_of(raw), (None, 400), raw[:200])

    def test_idle_keepalive_closed(self):
        s = self.server.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            raw, closed = recv_all(s, timeout=5)
            self.assertEqual(status_of(raw), 200, raw[:200])
            self.assertFalse(closed)
            t0 = time.monotonic()
            rest, closed = recv_all(s, timeout=IDLE_S + 8)
            self.assertTrue(closed, "idle keep-alive connection still open after %.1f s"
                            % (time.monotonic() - t0))
            self.assertNotIn(b"408", rest[:20], "408 sent on an idle connection")
        finally:
            s.close()


class ConnectionLimitsTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"limits": {"max_per_ip": PER_IP, "max_connections": MAX_CONN,
                              "idle_timeout_s": 30}}

    def setUp(self):
        self.held = []

    def tearDown(self):
        self.close_held()
        self.assertHealthy()

    def hold(self, source_ip):
        """An open keep-alive connection that has completed one request."""
        s = self.server.connect(source_ip=source_ip)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        raw, closed = recv_all(s, timeout=5)
        self.assertEqual(status_of(raw), 200, "held connection %d from %s: %r"
                         % (len(self.held), source_ip, raw[:200]))
        self.held.append(s)
        return s

    def close_held(self):
        for s in self.held:
            s.close()
        self.held = []

    def test_per_ip_limit_429(self):
        for _ in range(PER_IP):
            self.hold("127.0.0.1")
        raw, closed = raw_exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                   timeout=5)
        self.assertEqual(status_of(raw), 429, "connection %d from one IP: %r closed=%s"
                         % (PER_IP + 1, raw[:200], closed))
        assert_raw_problem(self, raw, 429)
        # another address is not limited
        raw, _ = raw_exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                              timeout=5, source_ip="127.0.0.2")
        self.assertEqual(status_of(raw), 200, raw[:200])
        self.close_held()

    def hold_busy(self, source_ip):
        """An open connection whose request is past its headers (its body still arriving):
        nothing may drop it to make room."""
        s = self.server.connect(source_ip=source_ip)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
        self.held.append(s)
        return s

    def test_max_connections_503(self):
        for i in range(MAX_CONN):
            self.hold_busy("127.0.0.%d" % (10 + i))  # one per address: under the per-IP limit
        time.sleep(0.3)  # every one is past its headers
        raw, closed = raw_exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                   timeout=5, source_ip="127.0.0.99")
        self.assertEqual(status_of(raw), 503, "connection %d: %r closed=%s"
                         % (MAX_CONN + 1, raw[:200], closed))
        assert_raw_problem(self, raw, 503)
        self.close_held()

    def test_max_connections_closes_idle_keepalive(self):
        # At the limit an idle keep-alive connection is closed to make room (RFC 9112 9.6).
        for i in range(MAX_CONN):
            self.hold("127.0.0.%d" % (10 + i))
        raw, closed = raw_exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                   timeout=5, source_ip="127.0.0.99")
        self.assertEqual(status_of(raw), 200, raw[:200])
        gone = 0
        for s in self.held:
            _, c = recv_all(s, timeout=0.3)
            gone += c
        self.assertEqual(gone, 1, "%d idle connections closed to make room for one" % gone)
        self.close_held()

    def test_limits_released_after_close(self):
        for round_ in range(3):
            for _ in range(PER_IP):
                self.hold("127.0.0.1")
            self.close_held()
            self.assertHealthy()


class Tricklers:
    """Connections that send a request line and then one header byte every `every` seconds,
    from several source addresses (to look like several clients), each until it is answered
    or closed. A background thread does the trickling; `answers` maps each socket to what it
    received."""

    def __init__(self, server, n, ips=("127.0.0.21", "127.0.0.22", "127.0.0.23"), every=0.25):
        self.socks = []
        self.answers = {}
        self.every = every
        self.stop_ = threading.Event()
        for i in range(n):
            s = server.connect(source_ip=ips[i % len(ips)])
            s.setblocking(False)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            self.socks.append(s)
            self.answers[s] = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def open_count(self):
        return sum(1 for s in self.socks if self.answers[s] is not None and
                   not self.answers[s])

    def _poll(self, s):
        try:
            chunk = s.recv(4096)
            self.answers[s] += chunk
            if not chunk and not self.answers[s]:
                self.answers[s] = None  # closed unanswered
        except BlockingIOError:
            pass
        except OSError:
            if not self.answers[s]:
                self.answers[s] = None

    def _run(self):
        while not self.stop_.is_set():
            for s in self.socks:
                if self.answers[s] is None or self.answers[s]:
                    continue
                try:
                    s.send(b"X")
                except BlockingIOError:
                    pass
                except OSError:
                    pass
                self._poll(s)
            self.stop_.wait(self.every)

    def close(self):
        self.stop_.set()
        self.thread.join()
        for s in self.socks:
            s.close()


class SlowClientsTest(ServerTestCase, unittest.TestCase):
    """Clients that trickle their headers (a slowloris attack from several addresses) are cut
    at the header deadline with 408, and never keep a fresh client from being served."""
    SERVER_ARGS = {"limits": {"header_timeout_s": 3, "request_timeout_s": 30,
                              "idle_timeout_s": 30, "max_connections": 32, "max_per_ip": 0}}

    def tearDown(self):
        self.assertHealthy()

    def test_fresh_client_served_while_trickling(self):
        # more tricklers than max_connections: each newcomer makes room by dropping the
        # slowest incomplete request, so fresh clients are served while the attack goes on
        t = Tricklers(self.server, 48)
        try:
            time.sleep(0.5)
            for _ in range(5):
                raw, _ = raw_exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                      timeout=5, source_ip="127.0.0.30")
                self.assertEqual(status_of(raw), 200, raw[:200])
            self.assertGreater(t.open_count(), 16, "the tricklers were all cut")
            for s in t.socks:
                raw = t.answers[s]
                self.assertIsNotNone(raw, "a trickler was closed without an answer")
                if raw:  # dropped to make room: told so
                    p = assert_raw_problem(self, raw, 408)
                    self.assertIn("slowest", p["detail"])
        finally:
            t.close()

    def test_trickled_headers_cut_at_header_deadline_408(self):
        t = Tricklers(self.server, 6)
        try:
            deadline = time.monotonic() + 10
            while t.open_count() and time.monotonic() < deadline:
                time.sleep(0.1)
            for s in t.socks:
                raw = t.answers[s]
                self.assertTrue(raw, "a trickling connection was closed without an answer")
                p = assert_raw_problem(self, raw, 408)
                self.assertEqual(p["type"], PROBLEM_BASE + "request-timeout")
                self.assertIn("head took too long", p["detail"])
                self.assertEqual(headers_of(raw).get("connection"), "close")
        finally:
            t.close()

    def test_stalled_body_408_not_silent_close(self):
        # A body that stops arriving gets the documented 408 (after idle_timeout_s without a
        # byte, or at the request deadline), not MHD's silent close.
        srv = Server("StalledBody", limits={"idle_timeout_s": 2, "request_timeout_s": 3})
        try:
            srv.start()
            for first in (True, False):
                with self.subTest(first_request=first):
                    s = srv.connect()
                    try:
                        if not first:  # the same on a keep-alive connection's later request
                            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                            raw, _ = recv_all(s, timeout=5)
                            self.assertEqual(status_of(raw), 200, raw[:200])
                        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10"
                                  b"\r\n\r\n{")
                        raw, closed = recv_all(s, timeout=10)
                        p = assert_raw_problem(self, raw, 408)
                        self.assertIn("body took too long", p["detail"])
                    finally:
                        s.close()
        finally:
            self.assertEqual(srv.stop(), 0)


class PressureTest(ServerTestCase, unittest.TestCase):
    """At max_connections the incomplete request arriving slowest is dropped (408) to make
    room for a new connection; the others are left alone."""
    SERVER_ARGS = {"limits": {"max_connections": 8, "max_per_ip": 0, "header_timeout_s": 30,
                              "request_timeout_s": 30, "idle_timeout_s": 30}}

    def tearDown(self):
        self.assertHealthy()

    def test_slowest_incomplete_dropped_first(self):
        socks = []
        try:
            slow = self.server.connect(source_ip="127.0.0.41")
            slow.sendall(b"G")  # one byte, and the oldest: the slowest by far
            socks.append(slow)
            time.sleep(0.3)
            for i in range(7):  # the rest of the limit: headers arriving, 100 bytes each
                s = self.server.connect(source_ip="127.0.0.%d" % (42 + i))
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"f" * 60)
                socks.append(s)
            time.sleep(0.3)
            raw, _ = raw_exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                  timeout=5, source_ip="127.0.0.60")
            self.assertEqual(status_of(raw), 200, "the newcomer was not served: %r" % raw[:200])
            raw, closed = recv_all(slow, timeout=5)
            p = assert_raw_problem(self, raw, 408)
            self.assertIn("slowest", p["detail"])
            for s in socks[1:]:
                got, closed = recv_all(s, timeout=0.2)
                self.assertFalse(got or closed, "a faster connection was dropped: %r" % got)
        finally:
            for s in socks:
                s.close()


class ShutdownTest(unittest.TestCase):
    """SIGTERM ends the server within the grace period (plus about a second), however many
    slow clients hold connections; connections whose request never reached a handler (heads
    still trickling, idle keep-alives) do not hold it at all."""

    def start(self, grace_ms):
        srv = Server("Shutdown%d" % grace_ms,
                     limits={"shutdown_grace_ms": grace_ms, "header_timeout_s": 60,
                             "request_timeout_s": 60, "idle_timeout_s": 60})
        srv.start()
        self.addCleanup(srv.stop)
        return srv

    def slow_clients(self, srv, bodies):
        t = Tricklers(srv, 12)
        self.addCleanup(t.close)
        socks = []
        for _ in range(6):  # idle keep-alive
            s = srv.connect()
            self.addCleanup(s.close)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            recv_all(s, timeout=5)
        for _ in range(bodies):  # stalled bodies: past their headers, these get the grace
            s = srv.connect()
            self.addCleanup(s.close)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        time.sleep(0.5)
        return socks

    def stop(self, srv):
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(90)
        self.assertEqual(rc, 0, srv.log_tail())
        return time.monotonic() - t0

    def test_slow_heads_do_not_hold_stop(self):
        srv = self.start(30000)
        self.slow_clients(srv, bodies=0)
        took = self.stop(srv)
        # nothing reached a handler: no reason to wait for any of the 30 s grace (the old
        # edge counted a trickling head as in flight and waited all of it)
        self.assertLess(took, 15, "stop took %.1f s with nothing in flight" % took)

    def test_stop_within_grace_with_stalled_bodies(self):
        srv = self.start(1500)
        self.slow_clients(srv, bodies=6)
        took = self.stop(srv)
        # the contract is the grace plus about a second; generous here for a loaded machine,
        # far below the clients' own timeouts (60 s)
        self.assertLess(took, 1.5 + 10, "stop took %.1f s" % took)


class BodyRouteTest(ServerTestCase, unittest.TestCase):
    """Malformed or mistyped bodies on a route that takes JSON (found in openapi.json)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.route = None
        doc = cls.server.get("/api/openapi.json").json()
        for path, item in sorted(doc.get("paths", {}).items()):
            for m, op in item.items():
                content = (op.get("requestBody") or {}).get("content", {}) \
                    if isinstance(op, dict) else {}
                if "application/json" in content:
                    cls.route = (m.upper(), cls.fill(path))
                    return

    @staticmethod
    def fill(path):
        out = []
        for seg in path.split("/"):
            if seg.startswith("{") and seg.endswith("}"):
                seg = make_rnokpp(30000, 123, 3) if "rnokpp" in seg else "x"
            out.append(seg)
        return "/".join(out)

    def setUp(self):
        if not self.route:
            self.skipTest("no route with an application/json request body in openapi.json yet")

    def tearDown(self):
        if self.route:
            self.assertHealthy()

    def send(self, body, ctype):
        m, path = self.route
        return self.server.request(m, path, body=body, auth=True,
                                   headers={"Content-Type": ctype} if ctype else {})

    def test_malformed_json_400(self):
        for body in (b'{"a":', b"{'a':1}", b'{"a":1}{"b":2}', b'\xff\xfe', b'{"a":1,"a":2}'):
            with self.subTest(body=body):
                assert_problem(self, self.send(body, "application/json"), 400)

    def test_wrong_content_type_415(self):
        for ctype in ("text/plain", "application/x-www-form-urlencoded", None):
            with self.subTest(ctype=ctype):
                assert_problem(self, self.send(b"{}", ctype), 415)

    def test_too_deep_json(self):
        r = self.send(b"[" * 1000 + b"]" * 1000, "application/json")
        self.assertIn(r.status, (400, 413, 422), r)

    def test_chunked_body_over_limit_413(self):
        m, path = self.route
        s = self.server.connect()
        try:
            s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                       % (m, path, self.server.token)).encode())
            raw = send_chunks_until_answer(s, 2 * 1024 * 1024, chunk=b"[" + b"1," * 4096)
            self.assertEqual(status_of(raw), 413, raw[:300])
        except socket.timeout:
            self.fail("server neither read nor refused a chunked body over the limit")
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
