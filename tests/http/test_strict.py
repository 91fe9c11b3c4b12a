"""RFC 9112 strictness at the HTTP edge, and problem+json for every error, including those
libmicrohttpd 0.9.75 used to answer itself with its own HTML (docs/internals/http.md, "The
gate"). The first request of a connection is judged from its raw bytes before MHD reads them;
a later request on a keep-alive connection is judged from the fields MHD parsed, which covers
the field rules but not what MHD decides alone: those cases are tested here as they are, and
named for it."""
import re
import unittest

from psserver import (PROBLEM_BASE, ServerTestCase, assert_raw_problem, headers_of,
                      raw_exchange, recv_all, status_of)

SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
STATUS_LINE = re.compile(rb"HTTP/1\.[01] \d{3} ")


def answers(raw):
    return len(STATUS_LINE.findall(raw))


class StrictHeadTest(ServerTestCase, unittest.TestCase):
    def tearDown(self):
        self.assertHealthy()

    def refused(self, data, status=400, slug="bad-request", why=None, later=False):
        """data on a new connection (later: as the second request of a keep-alive one): one
        problem+json answer, Connection: close, then closed, and nothing after it answered
        (no smuggled request)."""
        s = self.server.connect()
        try:
            if later:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                raw, _ = recv_all(s, timeout=5)
                self.assertEqual(status_of(raw), 200, raw[:200])
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            raw, closed = recv_all(s, timeout=5)
            p = assert_raw_problem(self, raw, status)
            self.assertEqual(p["type"], PROBLEM_BASE + slug, p)
            if why:
                self.assertIn(why, p["detail"])
            self.assertEqual(headers_of(raw).get("connection"), "close", raw[:300])
            if not closed:
                more, closed = recv_all(s, timeout=5)
                raw += more
            self.assertTrue(closed, "connection kept open after a refused request")
            self.assertEqual(answers(raw), 1, "more than one answer: %r" % raw)
            return p
        finally:
            s.close()

    def refused_later(self, data, why):
        return self.refused(data, why=why, later=True)

    def test_whitespace_before_colon_400(self):
        # MHD would take "Transfer-Encoding " for another header and frame by Content-Length;
        # a proxy reading it as chunked would see the next bytes as a second request.
        head = (b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n"
                b"Content-Length: 5\r\n\r\n0\r\n\r\n")
        self.refused(head + SMUGGLED, why="whitespace between a header field name")
        self.refused_later(head + SMUGGLED, why="whitespace between a header field name")
        self.refused(b"GET /healthz HTTP/1.1\r\nHost\t: x\r\n\r\n", why="whitespace")

    def test_obs_fold_400(self):
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n",
                     why="obsolete line folding")
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tTransfer-Encoding: "
                     b"chunked\r\n\r\n", why="obsolete line folding")
        self.refused(b"GET /healthz HTTP/1.1\r\n Host: x\r\n\r\n", why="obsolete line folding")

    def test_obs_fold_in_a_later_request_is_folded_by_mhd(self):
        # A known limit (docs/internals/http.md): on a keep-alive connection MHD reads the next
        # request itself and joins a continuation line to the field before it; the edge never
        # sees the fold. One request, one answer: nothing is smuggled.
        s = self.server.connect()
        try:
            for _ in range(2):
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n"
                          if _ else b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                raw, _c = recv_all(s, timeout=5)
                self.assertEqual(answers(raw), 1, raw[:300])
                self.assertEqual(status_of(raw), 200, raw[:300])
        finally:
            s.close()

    def test_host_required_once_400(self):
        self.refused(b"GET /healthz HTTP/1.1\r\n\r\n", why="without Host")
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
                     why="more than one Host")
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", why="invalid Host")
        self.refused_later(b"GET /healthz HTTP/1.1\r\nX-A: 1\r\n\r\n", why="without Host")
        self.refused_later(b"GET /healthz HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
                           why="more than one Host")

    def test_http10_without_host_ok(self):
        raw, _ = raw_exchange(self.server, b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertEqual(status_of(raw), 200, raw[:200])

    def test_duplicate_authorization_400(self):
        dup = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
               b"authorization: Bearer b\r\n\r\n")
        self.refused(dup, why="more than one Authorization")
        self.refused_later(dup, why="more than one Authorization")

    def test_bare_lf_and_cr_400(self):
        self.refused(b"GET /healthz HTTP/1.1\nHost: x\n\n", why="CRLF")
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n", why="bare CR")

    def test_control_characters_400(self):
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n",
                     why="control character")
        self.refused(b"GET /heal\x7fthz HTTP/1.1\r\nHost: x\r\n\r\n", why="request line")


class MhdAnswersTest(ServerTestCase, unittest.TestCase):
    """Errors libmicrohttpd 0.9.75 answers itself with an HTML body: on a connection's first
    request the edge answers them first, with problem+json."""

    def tearDown(self):
        self.assertHealthy()

    def problem(self, data, status, slug):
        raw, closed = raw_exchange(self.server, data, timeout=5)
        p = assert_raw_problem(self, raw, status)
        self.assertEqual(p["type"], PROBLEM_BASE + slug, p)
        self.assertEqual(headers_of(raw).get("connection"), "close", raw[:300])
        return p

    def test_unparsable_content_length_400(self):
        for cl in (b"abc", b"-1", b"1, 2", b"5 ", b""):
            with self.subTest(cl=cl):
                self.problem(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl +
                             b"\r\n\r\n", 400, "bad-request")

    def test_content_length_overflow_413(self):
        self.problem(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: "
                     b"99999999999999999999999\r\n\r\n", 413, "payload-too-large")

    def test_unsupported_version_505(self):
        for v in (b"HTTP/2.0", b"HTTP/0.9", b"HTTP/9.9"):
            with self.subTest(version=v):
                self.problem(b"GET /healthz " + v + b"\r\nHost: x\r\n\r\n", 505,
                             "http-version-not-supported")

    def test_malformed_version_400(self):
        for v in (b"HTTP/1.10", b"http/1.1", b"FOO"):
            with self.subTest(version=v):
                self.problem(b"GET /healthz " + v + b"\r\nHost: x\r\n\r\n", 400, "bad-request")

    def test_too_many_headers_431(self):
        hdrs = b"".join(b"A%d: 1\r\n" % i for i in range(120))
        self.problem(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + hdrs + b"\r\n", 431,
                     "headers-too-large")

    def test_headers_past_mhd_memory_431(self):
        # 40 KiB: past MHD's per-connection memory (32 KiB), where it answered HTML itself
        self.problem(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40960 +
                     b"\r\n\r\n", 431, "headers-too-large")

    def test_huge_request_line_414(self):
        self.problem(b"GET /" + b"a" * 40960 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                     "uri-too-long")

    def test_line_without_colon_400(self):
        self.problem(b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, "bad-request")

    def test_bad_chunk_size_is_answered_by_mhd(self):
        # A known limit (docs/internals/http.md): MHD parses the chunked framing itself and
        # answers a malformed chunk-size line with its own 400 (HTML) before the edge sees
        # any of the body. The request still fails closed: 400, then the connection closes.
        s = self.server.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"zz\r\nabc\r\n0\r\n\r\n")
            raw, closed = recv_all(s, timeout=5)
            self.assertEqual(status_of(raw), 400, raw[:300])
            if not closed:
                _, closed = recv_all(s, timeout=5)
            self.assertTrue(closed)
        finally:
            s.close()

    def test_later_request_version_is_answered_by_mhd(self):
        # A known limit: MHD reads a keep-alive connection's next request line itself and
        # answers an unsupported version with its own 505 (HTML), then closes.
        s = self.server.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            raw, _ = recv_all(s, timeout=5)
            self.assertEqual(status_of(raw), 200, raw[:200])
            s.sendall(b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n")
            raw, closed = recv_all(s, timeout=5)
            self.assertEqual(status_of(raw), 505, raw[:300])
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
