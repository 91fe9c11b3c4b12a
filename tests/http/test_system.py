"""System endpoints and HTTP behaviour shared by every route: /healthz, /readyz, /metrics,
/api/openapi.json, 404/405 problems, X-Request-Id."""
import json
import re
import unittest

from psserver import (UUID7, ServerTestCase, assert_problem, raw_exchange, run_cli, status_of)

METRIC_LINE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
    r'(-?[0-9.eE+-]+|NaN|[+-]Inf)( -?[0-9]+)?$')
# Routes every build serves (the API owner keeps the full list in `pocketstate routes`).
CORE_ROUTES = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
               ("GET", "/api/openapi.json"), ("GET", "/api/v1/registry/persons/{rnokpp}")}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def metric_sum(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1] if "}" not in line
                           else line.rsplit("}", 1)[1].split()[0])
    return total


def openapi_routes(doc):
    out = set()
    for path, item in doc.get("paths", {}).items():
        for m in item:
            if m in METHODS:
                out.add((m.upper(), path))
    return out


class SystemTest(ServerTestCase, unittest.TestCase):
    def test_healthz(self):
        r = self.server.get("/healthz")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type").startswith("application/json"), r)
        self.assertIsInstance(r.json(), dict)

    def test_readyz_store_ready(self):
        r = self.server.get("/readyz")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type").startswith("application/json"), r)
        j = r.json()
        if "store" in j or isinstance(j.get("checks"), dict):
            store = j.get("store", (j.get("checks") or {}).get("store"))
            if isinstance(store, dict):
                ok = store.get("ready") is True or store.get("status") in ("ok", "ready", "up")
            else:
                ok = store in (True, "ok", "ready", "up")
        else:
            # {"status": "ready", "backend": "sqlite", "schema": N}: ready means the store
            # answered and its schema is current.
            ok = j.get("status") in ("ready", "ok") and ("backend" in j or "schema" in j)
        self.assertTrue(ok, "store not reported ready in %r" % j)

    def test_metrics_prometheus_text(self):
        self.server.get("/healthz")
        r = self.server.get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type").startswith("text/plain"), r)
        text = r.body.decode("utf-8")
        self.assertIn("pocketstate_http_requests_total", text)
        bad = [l for l in text.splitlines()
               if l and not l.startswith("#") and not METRIC_LINE.match(l)]
        self.assertEqual(bad, [], "lines not in Prometheus text format")
        for l in text.splitlines():
            if l.startswith("# TYPE "):
                self.assertIn(l.split()[3], ("counter", "gauge", "histogram", "summary",
                                             "untyped"), l)

    def test_metrics_count_requests(self):
        name = "pocketstate_http_requests_total"
        before = metric_sum(self.server.get("/metrics").body.decode(), name)
        for _ in range(3):
            self.server.get("/healthz")
        after = metric_sum(self.server.get("/metrics").body.decode(), name)
        self.assertGreaterEqual(after - before, 3, "counter moved %s -> %s" % (before, after))

    def test_metrics_bounded_labels(self):
        # Unknown paths must not become label values: that would let anyone grow /metrics.
        for i in range(20):
            self.server.get("/no-such-path-%d-zz" % i)
        text = self.server.get("/metrics").body.decode()
        self.assertNotIn("no-such-path-", text)

    def test_openapi_document(self):
        r = self.server.get("/api/openapi.json")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type").startswith("application/json"), r)
        doc = r.json()
        self.assertRegex(doc.get("openapi", ""), r"^3\.1\.\d+$")
        self.assertIn("title", doc.get("info", {}))
        self.assertIn("version", doc.get("info", {}))
        routes = openapi_routes(doc)
        missing = CORE_ROUTES - routes
        self.assertEqual(missing, set(), "routes served but not documented")
        for path, item in doc["paths"].items():
            for m, op in item.items():
                if m in METHODS:
                    self.assertIn("responses", op, "%s %s has no responses" % (m, path))

    def test_openapi_lists_every_route(self):
        r = run_cli("routes", timeout=20)
        if r.returncode != 0:
            self.skipTest("`pocketstate routes` not available (exit %d); the API unit test "
                          "covers the route table" % r.returncode)
        served = set()
        for line in r.stdout.splitlines():
            m = re.match(r"^\s*([A-Z]+)\s+(/\S*)\s+(\S+)", line)
            # the portal's HTML pages and fallbacks are not the JSON API (test_portal.py)
            if m and not m.group(3).startswith("portal."):
                served.add((m.group(1), m.group(2)))
        self.assertTrue(served, "no routes parsed from: %r" % r.stdout[:500])
        documented = openapi_routes(self.server.get("/api/openapi.json").json())
        self.assertEqual(served - documented, set(), "served but not in openapi.json")
        self.assertEqual(documented - served, set(), "in openapi.json but not served")

    def test_unknown_route_404(self):
        r = self.server.get("/no/such/route")
        p = assert_problem(self, r, 404)
        self.assertEqual(p.get("instance"), "/no/such/route")

    def test_path_traversal_not_routed(self):
        for path in ("/api/../healthz", "/api/./openapi.json", "//healthz", "/healthz/",
                     "/api/v1/registry/persons/..", "/api/v1/registry/persons/%2e%2e"):
            with self.subTest(path=path):
                r = self.server.get(path, auth=True)
                self.assertIn(r.status, (400, 404), "%s -> %r" % (path, r))

    def test_wrong_method_405_with_allow(self):
        for method in ("DELETE", "POST", "PUT"):
            with self.subTest(method=method):
                r = self.server.request(method, "/healthz", body=b"" if method != "DELETE"
                                        else None)
                assert_problem(self, r, 405)
                allow = r.header("allow") or ""
                self.assertIn("GET", [a.strip() for a in allow.split(",")], "Allow: %r" % allow)

    def test_head_like_get_without_body(self):
        get = self.server.get("/healthz")
        head = self.server.request("HEAD", "/healthz")
        self.assertEqual(head.status, 200, head)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.header("content-type"), get.header("content-type"))

    def test_request_id_echoed(self):
        rid = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
        r = self.server.get("/healthz", headers={"X-Request-Id": rid})
        self.assertEqual(r.header("x-request-id"), rid)

    def test_request_id_generated_uuid7(self):
        a = self.server.get("/healthz").header("x-request-id")
        b = self.server.get("/healthz").header("x-request-id")
        self.assertRegex(a or "", UUID7)
        self.assertRegex(b or "", UUID7)
        self.assertNotEqual(a, b)
        self.assertLess(a, b, "UUIDv7 request ids should be time-ordered")

    def test_request_id_invalid_replaced(self):
        for bad in ("x" * 200, "<script>alert(1)</script>", "a b", "\u00e9t\u00e9"):
            with self.subTest(bad=bad[:20]):
                r = self.server.get("/healthz",
                                    headers={"X-Request-Id": bad.encode("utf-8")})
                self.assertEqual(r.status, 200, r)
                self.assertRegex(r.header("x-request-id") or "", UUID7)

    def test_problem_carries_request_id(self):
        rid = "0190b1f2-7c3a-7d4e-8f00-0123456789ab"
        r = self.server.get("/nope", headers={"X-Request-Id": rid})
        p = assert_problem(self, r, 404)
        self.assertEqual(r.header("x-request-id"), rid)
        self.assertEqual(p.get("requestId"), rid)

    def test_keep_alive_many_requests(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            for _ in range(20):
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 200)
        finally:
            conn.close()

    def test_http10(self):
        raw, closed = raw_exchange(self.server, b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertEqual(status_of(raw), 200, raw[:300])
        self.assertTrue(closed, "HTTP/1.0 without keep-alive should close")

    def test_garbage_request(self):
        for junk in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                     b"GET /healthz HTTP/9.9\r\n\r\n"):
            with self.subTest(junk=junk):
                raw, closed = raw_exchange(self.server, junk, timeout=5)
                st = status_of(raw)
                self.assertTrue(st is None and closed or st is not None and 400 <= st < 600,
                                "junk %r -> %r" % (junk, raw[:200]))
        self.assertHealthy()

    def test_json_responses_are_json(self):
        for path in ("/healthz", "/readyz", "/api/openapi.json", "/nope"):
            with self.subTest(path=path):
                json.loads(self.server.get(path).body)


if __name__ == "__main__":
    unittest.main()
