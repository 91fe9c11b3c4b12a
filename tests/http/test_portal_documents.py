"""The portal's documents pages over HTTP (pocketstate demo): my documents as cards, one
document with its QR code (the API's presentation, fetched with the page's cookie), the
choice of claims, a share code made and checked once on the public verify page (a second use
refused), a QR code's text verified check by check (a changed one refused), the share link's
page that does not use the code up, an official's lookup of a person's documents (recorded)
and a revocation that the verify page then reports; the refusals (no session, a citizen on
the officials' pages, a foreign origin)."""
import html
import json
import re
import unittest
import urllib.parse

from psserver import ServerTestCase, raw_exchange, status_of
from test_portal_session import Browser

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


class PortalDocumentsTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "demo", "citizens": 60}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        home = Browser(cls.server).get("/")
        cards = re.findall(r'<li class="person">(.*?)</li>', home.text, re.S)
        cls.people = [{"rnokpp": re.search(r"<dd>(\d{10})</dd>", c).group(1),
                       "official": "Official:" in c} for c in cards]
        cls.official = next(p for p in cls.people if p["official"])
        citizens = [p for p in cls.people if not p["official"]]
        cls.citizen, cls.revoked = citizens[0], citizens[-1]  # revoked: the test that revokes
        # the demo official also registers ID cards (dmsu), to revoke one
        r = cls.server.request("POST", "/api/v1/agencies/dmsu/roles", headers=dict(
            JSON, Authorization="Bearer " + cls.server.token), body=json.dumps(
            {"rnokpp": cls.official["rnokpp"], "role": "registrar",
             "reason": "test"}).encode())
        assert r.status == 201, r

    def signed_in(self, person, lang="en"):
        b = Browser(self.server, lang)
        r = b.post("/signin/demo", {"rnokpp": person["rnokpp"], "next": "/me/documents"})
        self.assertEqual(r.status, 303, r)
        return b

    def documents(self, b):
        r = b.get("/me/documents")
        self.assertEqual(r.status, 200, r)
        return r, re.findall(r'href="/me/documents/([0-9a-f-]{36})">([^<]*)</a>', r.text)

    def id_card(self, b):
        _, docs = self.documents(b)
        return next(i for i, title in docs if "ID card" in html.unescape(title))

    def test_needs_a_session(self):
        r = Browser(self.server).get("/me/documents")
        self.assertEqual(r.status, 303, r)
        self.assertTrue(r.header("location").startswith("/signin?next=%2Fme%2Fdocuments"), r)

    def test_cards_in_both_languages(self):
        for lang, heading in (("en", "My documents"), ("uk", "Мої документи")):
            b = self.signed_in(self.citizen, lang)
            r, docs = self.documents(b)
            self.assertIn("<h1>%s</h1>" % heading, r.text)
            self.assertGreaterEqual(len(docs), 2, r.text)
            self.assertIn('href="/me/documents"', r.text)  # the navigation
            self.assertEqual(r.text.count('class="card"'), len(docs))

    def test_one_document_with_its_qr_and_choice(self):
        b = self.signed_in(self.citizen)
        doc = self.id_card(b)
        r = b.get("/me/documents/%s" % doc)
        self.assertEqual(r.status, 200, r)
        src = html.unescape(re.search(r'<img class="qr__image" src="([^"]+)"', r.text).group(1))
        self.assertTrue(src.startswith("/api/v1/me/documents/%s/presentation?format=svg" % doc))
        img = b.get(src)
        self.assertEqual(img.status, 200, img)
        self.assertEqual(img.header("content-type"), "image/svg+xml")
        self.assertIn('/api/v1/me/documents/%s/pdf' % doc, r.text)
        self.assertIn('src="/api/v1/me/documents/%s/photo"' % doc, r.text)  # an ID card shows it
        # choose one claim: only it is checked, and the QR asks for only it
        r = b.get("/me/documents/%s?claim=family_name" % doc)
        self.assertEqual(r.status, 200, r)
        checked = re.findall(r'value="([a-z_0-9]+)" checked', r.text)
        self.assertEqual(checked, ["family_name"], r.text)
        self.assertIn("claims=family_name", r.text)
        # an unknown claim is a 400 page; someone else's document does not exist
        self.assertEqual(b.get("/me/documents/%s?claim=nope" % doc).status, 400)
        other = self.signed_in(self.official)
        self.assertEqual(other.get("/me/documents/%s" % doc).status, 404)

    def test_share_code_checked_once(self):
        b = self.signed_in(self.citizen)
        doc = self.id_card(b)
        r = b.post("/me/documents/%s/share" % doc, {"claims": "family_name,given_name"})
        self.assertEqual(r.status, 200, r)
        code = re.search(r'<p class="share-code" id="share-code">([^<]+)</p>', r.text).group(1)
        self.assertIn("<svg", r.main())
        # the link's page fills the form and uses nothing
        anyone = Browser(self.server)
        page = anyone.get("/verify/%s" % urllib.parse.quote(code))
        self.assertEqual(page.status, 200, page)
        self.assertIn('value="%s"' % code, page.text)
        r = anyone.post("/verify", {"code": code, "check": "code"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("The document is genuine and in force", r.text)
        self.assertIn("Surname", r.text)
        r = anyone.post("/verify", {"code": code, "check": "code"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("used already", r.text)
        r = anyone.post("/verify", {"code": "", "check": "code"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("Enter the share code", r.text)
        # the holder sees who checked it, in words
        r = b.get("/me/access")
        self.assertIn("Someone on the public verify page checked a document you shared", r.text)
        # another site cannot post it
        r = anyone.post("/verify", {"code": code}, origin=False,
                        headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403, r)

    def test_qr_text_verified(self):
        b = self.signed_in(self.citizen)
        doc = self.id_card(b)
        qr = b.request("GET", "/api/v1/me/documents/%s/presentation" % doc,
                       headers={"Accept": "application/json"})
        self.assertEqual(qr.status, 200, qr)
        text = json.loads(qr.body)["qr"]
        for lang, ok in (("en", "The document is genuine and in force"),
                         ("uk", "Документ справжній і чинний")):
            r = Browser(self.server, lang).post("/verify", {"qr": text, "check": "qr"})
            self.assertEqual(r.status, 200, r)
            self.assertIn(ok, r.text)
            self.assertEqual(r.text.count("checks__item--ok"), 4, r.main())
        bad = text[:-6] + ("A" if text[-6] != "A" else "B") + text[-5:]
        r = Browser(self.server).post("/verify", {"qr": bad, "check": "qr"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("Do not accept this document", r.text)
        r = Browser(self.server).post("/verify", {"qr": "hello", "check": "qr"})
        self.assertIn("not the text of a document", r.text)

    def upload(self, data, filename="qr.png", ctype="image/png", lang="en", field="image"):
        boundary = "----ps-test-boundary"
        body = ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: %s\r\n\r\n" % (boundary, field, filename, ctype)).encode()
        body += data + ("\r\n--%s--\r\n" % boundary).encode()
        return Browser(self.server, lang).request(
            "POST", "/verify/image", body=body,
            headers={"Content-Type": "multipart/form-data; boundary=" + boundary})

    def test_qr_picture_verified(self):
        b = self.signed_in(self.citizen)
        doc = self.id_card(b)
        png = b.get("/api/v1/me/documents/%s/presentation?format=png&claims=family_name" % doc)
        self.assertEqual(png.status, 200, png)
        self.assertEqual(png.header("content-type"), "image/png")
        for lang, ok in (("en", "The document is genuine and in force"),
                         ("uk", "Документ справжній і чинний")):
            r = self.upload(png.body, lang=lang)
            self.assertEqual(r.status, 200, r)
            self.assertIn(ok, r.text)
            self.assertIn("checks__item--ok", r.text)
        # not a picture, no QR code in it, no file, another media type, too large
        r = self.upload(b"hello", filename="a.txt", ctype="text/plain")
        self.assertEqual(r.status, 400, r)
        self.assertIn("not a PNG or JPEG picture", r.text)
        self.assertTrue(r.title().startswith("Error:"), r.title())
        blank = png.body[:8] + b"broken"
        r = self.upload(blank)
        self.assertEqual(r.status, 400, r)
        self.assertIn("No QR code was found", r.text)
        r = self.upload(b"", filename="")
        self.assertEqual(r.status, 400, r)
        self.assertIn("Choose a photo or a screenshot", r.text)
        r = Browser(self.server).post("/verify/image", {"image": "x"})
        self.assertEqual(r.status, 400, r)
        # more than the route takes: refused on Content-Length, before the body is read
        head = ("POST /verify/image HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n"
                "Origin: http://localhost:%d\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                "Content-Length: %d\r\n\r\n" % (self.server.port, 4 << 20)).encode()
        raw, _ = raw_exchange(self.server, head)
        self.assertEqual(status_of(raw), 413, raw[:200])

    def test_official_revokes_and_verify_sees_it(self):
        citizen = self.signed_in(self.revoked)
        doc = self.id_card(citizen)
        qr = citizen.request("GET", "/api/v1/me/documents/%s/presentation" % doc,
                             headers={"Accept": "application/json"})
        text = json.loads(qr.body)["qr"]
        o = self.signed_in(self.official)
        self.assertEqual(o.get("/official/documents").status, 200)
        r = o.post("/official/documents", {"rnokpp": self.revoked["rnokpp"], "purpose": ""})
        self.assertEqual(r.status, 400, r)
        r = o.post("/official/documents", {"rnokpp": self.revoked["rnokpp"],
                                           "purpose": "document check, case 7"})
        self.assertEqual(r.status, 200, r)
        href = "/official/agencies/dmsu/documents/%s/status" % doc
        self.assertIn(href, r.text)
        form = o.get(href)
        self.assertEqual(form.status, 200, form)
        r = o.post(href, {"to": "revoked", "reason": ""})
        self.assertEqual(r.status, 400, r)
        r = o.post(href, {"to": "revoked", "reason": "stolen, report 2026/9"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("The status has been changed", r.text)
        self.assertIn("Revoked", r.text)
        r = o.post(href, {"to": "suspended", "reason": "again"})
        self.assertEqual(r.status, 400, r)  # a revoked document stays revoked
        # a citizen may not; the verify page reports the revocation
        self.assertEqual(citizen.get(href).status, 403)
        r = Browser(self.server).post("/verify", {"qr": text, "check": "qr"})
        self.assertIn("Revoked by its issuer", r.text)
        self.assertIn("Do not accept this document", r.text)
        # the citizen sees who read their documents
        r = citizen.get("/me/access")
        self.assertIn("read the list of your documents on", r.text)
        self.assertIn("document check, case 7", r.text)
        self.assertIn("revoked a document of yours", r.text)


if __name__ == "__main__":
    unittest.main()
