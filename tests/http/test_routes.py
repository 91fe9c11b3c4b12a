"""The route table is the contract (ARCHITECTURE.md rule 9): every route the running server
serves (as `pocketstate routes` lists it, with its action and accepted credentials) refuses a
request without a credential and one with a wrong credential with 401 problem+json and
WWW-Authenticate, unless it is public; a public route never answers 401. A new route cannot
forget its check: it is walked here as soon as it is in the table. Portal pages ("page" in the
credentials) take a session cookie when there is one: "page" alone is public, "session,page"
needs the session (401 for a client that does not ask for HTML; a browser is sent to sign in,
tests/http/test_portal_session.py); their forms are posted with the site's Origin, as browsers
do (the CSRF check comes first)."""
import re
import unittest

from psserver import ServerTestCase, assert_problem, run_cli

WRONG = [
    "Bearer ps_admin_" + "A" * 43,        # the admin token's shape, another value
    "Bearer not-a-token",
    "Basic dXNlcjpwYXNz",
    "Bearer",
]


def routes():
    """[(method, pattern, action, creds)] from `pocketstate routes`."""
    r = run_cli("routes", timeout=20)
    if r.returncode != 0:
        raise AssertionError("pocketstate routes failed: %s" % r.stderr)
    out = []
    for line in r.stdout.splitlines():
        m = re.match(r"^([A-Z]+)\s+(/\S*)\s+(\S+)\s+(\S+)\s*$", line)
        if m:
            out.append(m.groups())
    return out


def concrete(pattern):
    """A path that matches the pattern: a valid RNOKPP for {rnokpp}, "x" elsewhere."""
    def fill(m):
        name = m.group(1)
        if name == "rnokpp":
            return "3443818003"
        if name.endswith("..."):
            return "0/000"
        return "0"
    return re.sub(r"\{([^}]+)\}", fill, pattern)


class RouteTableTest(ServerTestCase, unittest.TestCase):
    def test_table_lists_action_and_credentials(self):
        table = routes()
        self.assertGreater(len(table), 10)
        for method, pattern, action, creds in table:
            self.assertRegex(action, r"^[a-z][a-z.-]*$", "%s %s" % (method, pattern))
            self.assertRegex(creds, r"^(public|[a-z]+(,[a-z]+)*)$", "%s %s" % (method, pattern))

    def request(self, method, path, auth_header=None, page=False):
        headers = {}
        body = None
        if auth_header is not None:
            headers["Authorization"] = auth_header
        if method in ("POST", "PUT", "PATCH"):
            headers["Content-Type"] = "application/json"
            body = b"{}"
            if page:
                headers["Origin"] = "http://localhost:%d" % self.server.port
        return self.server.request(method, path, headers=headers, body=body)

    @staticmethod
    def public(creds):
        return creds in ("public", "page")

    def test_every_non_public_route_refuses_missing_and_wrong_credentials(self):
        checked = 0
        for method, pattern, action, creds in routes():
            if self.public(creds):
                continue
            path = concrete(pattern)
            for auth in [None] + WRONG:
                with self.subTest(route="%s %s" % (method, pattern), auth=(auth or "")[:16]):
                    r = self.request(method, path, auth, page="page" in creds)
                    assert_problem(self, r, 401)
                    self.assertTrue((r.header("www-authenticate") or "").startswith("Bearer"),
                                    r)
                    checked += 1
        self.assertGreater(checked, 0, "no non-public route in the table")

    def test_public_routes_never_answer_401(self):
        for method, pattern, action, creds in routes():
            if not self.public(creds):
                continue
            with self.subTest(route="%s %s" % (method, pattern)):
                r = self.request(method, concrete(pattern), WRONG[1], page="page" in creds)
                self.assertNotEqual(r.status, 401, r)


if __name__ == "__main__":
    unittest.main()
