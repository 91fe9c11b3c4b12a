"""The service pages over HTTP against the real binary: the catalogue (search in both
languages, category filter), a service's page, FOP registration end to end through the pages
(start, one page per group, a list with add and remove, the prefilled address not asked, the
engine's validation errors GOV.UK style in both languages, check your answers, a double submit
making one application, the confirmation), marriage with the second party consenting on their
application's page and a registrar claiming and deciding in the officials' pages, and both
inboxes. People are registered and enrolled through the API (ps_authn) and sign in on the
pages with a posted assertion, as a browser does."""
import datetime
import json
import os
import re
import time
import unittest
import urllib.parse

from psserver import ServerTestCase, make_rnokpp
from test_portal_session import Browser, tool, PS_AUTHN

JSON = {"Content-Type": "application/json"}


class PortalServicesTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "serve"}
    serial = 400

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.origin = "http://localhost:%d" % cls.server.port

    # ---- people ----
    def admin(self, path, body):
        return self.server.request("POST", path, headers=dict(
            JSON, Authorization="Bearer " + self.server.token), body=json.dumps(body).encode())

    def person(self, born, sex="female", role=None, lang="en"):
        """Registers, enrols (API) and signs in on the pages: (rnokpp, Browser, token)."""
        import datetime
        days = (datetime.date.fromisoformat(born) - datetime.date(1899, 12, 31)).days
        PortalServicesTest.serial += 1
        s = PortalServicesTest.serial
        rnokpp = make_rnokpp(days, s, 1 if sex == "male" else 2)
        y, m, d = born.split("-")
        unzr = "%s%s%s-%04d" % (y, m, d, s)
        w = (7, 3, 1)
        digits = unzr.replace("-", "")
        unzr += str(sum(int(c) * w[i % 3] for i, c in enumerate(digits)) % 10)
        r = self.admin("/api/v1/registry/persons", {
            "rnokpp": rnokpp, "unzr": unzr, "id_card": "%09d" % (500000000 + s),
            "surname": "Бондар", "given_name": "Олена" if sex == "female" else "Петро",
            "patronymic": "", "birth_date": born, "sex": sex,
            "address": {"oblast": "м. Київ", "hromada": "Київська міська громада",
                        "settlement": "м. Київ", "street": "вул. Хрещатик", "building": "5"},
            "reason": "test"})
        self.assertEqual(r.status, 201, r)
        if role:
            r = self.admin("/api/v1/agencies/%s/roles" % role[1],
                           {"rnokpp": rnokpp, "role": role[0], "reason": "appointed"})
            self.assertEqual(r.status, 201, r)
        r = self.admin("/api/v1/registry/persons/%s/activation-codes" % rnokpp,
                       {"reason": "identity checked"})
        code = r.json()["code"]
        r = self.server.request("POST", "/api/v1/auth/enrol/options", headers=JSON, body=json.dumps(
            {"rnokpp": rnokpp, "birth_date": born, "activation_code": code}).encode())
        self.assertEqual(r.status, 200, r)
        key = os.path.join(self.server.data, "key-%s" % rnokpp)
        reg = tool(PS_AUTHN, "create", "--key", key, "--origin", self.origin,
                   stdin=r.body.decode())
        r = self.server.request("POST", "/api/v1/auth/enrol", headers=JSON, body=reg.encode())
        self.assertEqual(r.status, 201, r)
        token = r.json()["token"]
        b = Browser(self.server, lang)
        self.assertEqual(self.sign_in(b, rnokpp).status, 303)
        return rnokpp, b, token

    def sign_in(self, b, rnokpp, next_="/me"):
        """Signs b in with the person's passkey (the assertion posted as the page does)."""
        key = os.path.join(self.server.data, "key-%s" % rnokpp)
        options = self.server.request("POST", "/api/v1/auth/signin/options", headers=JSON,
                                      body=b"{}")
        assertion = tool(PS_AUTHN, "get", "--key", key, "--origin", self.origin,
                         stdin=options.body.decode())
        return b.post("/signin", {"credential": assertion, "next": next_})

    @staticmethod
    def location(r):
        return r.header("location")

    def follow(self, b, r):
        self.assertEqual(r.status, 303, r)
        return b.get(self.location(r))

    # ---- the catalogue ----
    def test_catalogue_search_and_categories_without_signing_in(self):
        b = Browser(self.server, "en")
        page = b.get("/services")
        self.assertEqual(page.status, 200, page)
        for sid in ("fop-registration", "idp-registration", "marriage"):
            self.assertIn('href="/services/%s"' % sid, page.text)
        # search in Ukrainian on an English page, and the category filter
        q = b.get("/services?q=" + urllib.parse.quote("шлюб"))
        self.assertIn('href="/services/marriage"', q.text)
        self.assertNotIn('href="/services/fop-registration"', q.text)
        self.assertIn("1 service", q.text)
        c = b.get("/services?category=business")
        self.assertIn('href="/services/fop-registration"', c.text)
        self.assertNotIn('href="/services/marriage"', c.text)
        self.assertIn('value="business" selected="selected"', c.text)
        none = b.get("/services?q=%3Cscript%3E")
        self.assertIn("No service matches", none.text)
        self.assertIn('value="&lt;script&gt;"', none.text)
        uk = Browser(self.server, "uk").get("/services/marriage")
        self.assertIn("Шлюб онлайн", uk.text)
        self.assertIn("Сімейний кодекс", uk.text)
        self.assertIn("Увійдіть, щоб подати заяву", uk.text)
        self.assertIn("8,50 грн", uk.text)
        self.assertEqual(b.get("/services/nope").status, 404)

    # ---- FOP through the pages ----
    def test_fop_registration_through_the_pages(self):
        rnokpp, b, _ = self.person("1990-02-02")
        svc = b.get("/services/fop-registration")
        self.assertIn('action="/services/fop-registration/start"', svc.text)
        key = re.search(r'name="_key" value="([^"]+)"', svc.text).group(1)
        r = b.post("/services/fop-registration/start", {"_key": key})
        self.assertEqual(r.status, 303, r)
        first = self.location(r)
        m = re.match(r"/me/applications/([0-9a-f-]{36})/pages/activities$", first)
        self.assertTrue(m, first)
        app = m.group(1)
        # the same key again: the same application
        again = b.post("/services/fop-registration/start", {"_key": key})
        self.assertEqual(self.location(again), first)
        page = b.get(first)
        self.assertEqual(page.status, 200, page)
        self.assertIn('name="f-activities-0-code"', page.text)
        base = "/me/applications/%s/pages/" % app
        # add a row, then a wrong code and a duplicate: the engine's messages
        r = b.post(base + "activities", {"f-activities-0-code": "62.01", "_action": "add-activities"})
        self.assertEqual(self.location(r), base + "activities")
        page = b.get(base + "activities")
        self.assertIn('name="f-activities-1-code"', page.text)
        r = b.post(base + "activities", {"f-activities-0-code": "62.01",
                                         "f-activities-1-code": "99.99", "_action": "continue"})
        self.assertEqual(r.status, 400, r)
        self.assertTrue(r.title().startswith("Error:"), r.title())
        self.assertIn('href="#f-activities-1-code"', r.text)
        self.assertIn('aria-invalid="true"', r.text)
        # remove the wrong row, continue: the tax page
        r = b.post(base + "activities", {"f-activities-0-code": "62.01",
                                         "f-activities-1-code": "99.99",
                                         "_action": "remove-activities-1"})
        self.assertEqual(self.location(r), base + "activities")
        r = b.post(base + "activities", {"f-activities-0-code": "62.01", "_action": "continue"})
        self.assertEqual(self.location(r), base + "tax")
        page = b.get(base + "tax")
        self.assertIn('type="radio"', page.text)
        self.assertIn("Single tax, group 1", page.text)
        # nothing chosen: the engine's "required", in English; in Ukrainian on a Ukrainian page
        r = b.post(base + "tax", {"_action": "continue"})
        self.assertEqual(r.status, 400, r)
        self.assertIn('href="#f-tax_system-0"', r.text)
        uk = Browser(self.server, "uk")
        uk.cookies = dict(b.cookies)
        ruk = uk.post(base + "tax", {"_action": "continue"})
        self.assertEqual(ruk.status, 400)
        self.assertTrue(ruk.title().startswith("Помилка:"), ruk.title())
        r = b.post(base + "tax", {"f-tax_system": "general", "_action": "continue"})
        # the address is prefilled from the registry: not asked again
        self.assertEqual(self.location(r), base + "contacts")
        r = b.post(base + "contacts", {"f-email": "not-an-email", "f-phone": "",
                                       "_action": "continue"})
        self.assertEqual(r.status, 400)
        self.assertIn("Enter an address like name@example.com", r.text)
        self.assertIn('value="not-an-email"', r.text)
        # save as draft keeps it: the application page says draft, with a continue link
        r = b.post(base + "contacts", {"f-email": "fop@example.com", "_action": "draft"})
        self.assertEqual(self.location(r), "/me/applications/" + app)
        view = b.get("/me/applications/" + app)
        self.assertIn("Draft", view.text)
        self.assertIn("Continue the application", view.text)
        r = b.post(base + "contacts", {"f-email": "fop@example.com", "_action": "continue"})
        self.assertEqual(self.location(r), "/me/applications/%s/check" % app)
        check = b.get(self.location(r))
        self.assertEqual(check.status, 200, check)
        for text in ("62.01", "General system", "fop@example.com", "Хрещатик"):
            self.assertIn(text, check.text)
        self.assertIn('href="/me/applications/%s/pages/address"' % app, check.text)
        key = re.search(r'name="_key" value="([^"]+)"', check.text).group(1)
        r1 = b.post("/me/applications/%s/submit" % app, {"_key": key})
        r2 = b.post("/me/applications/%s/submit" % app, {"_key": key})
        self.assertEqual(self.location(r1), "/me/applications/%s/confirmation" % app)
        self.assertEqual(self.location(r2), self.location(r1))
        done = b.get(self.location(r1))
        self.assertIn("Application complete", done.text)
        self.assertIn(app, done.text)
        mine = b.get("/me/applications")
        self.assertEqual(mine.text.count('href="/me/applications/%s"' % app), 1)
        self.assertIn("Approved", mine.text)
        inbox = b.get("/me/inbox")
        self.assertEqual(inbox.status, 200)
        ids = re.findall(r'action="/me/inbox/([^"]+)/read"', inbox.text)
        self.assertTrue(ids, inbox.text)
        r = b.post("/me/inbox/%s/read" % ids[0], {})
        self.assertEqual(self.location(r), "/me/inbox")
        self.assertNotIn('action="/me/inbox/%s/read"' % ids[0], b.get("/me/inbox").text)
        # the form pages of a submitted application lead to the application
        r = b.get(base + "tax")
        self.assertEqual(self.location(r), "/me/applications/" + app)
        # another person sees none of it
        _, other, _ = self.person("1985-05-05")
        self.assertEqual(other.get("/me/applications/" + app).status, 404)

    def test_not_eligible_and_cross_site_start(self):
        _, b, _ = self.person("2012-01-01")  # a minor
        svc = b.get("/services/fop-registration")
        key = re.search(r'name="_key" value="([^"]+)"', svc.text).group(1)
        r = b.post("/services/fop-registration/start", {"_key": key})
        self.assertEqual(r.status, 403, r)
        self.assertIn("You cannot use this service", r.text)
        self.assertIn("error-summary", r.text)
        r = b.post("/services/fop-registration/start", {"_key": key}, origin=False,
                   headers={"Origin": "https://evil.example"})
        self.assertEqual(r.status, 403)
        self.assertEqual(b.post("/services/fop-registration/start", {}).status, 400)

    def test_a_page_sent_after_the_session_ended_comes_back_with_its_values(self):
        rnokpp, b, _ = self.person("1988-08-08")
        svc = b.get("/services/fop-registration")
        key = re.search(r'name="_key" value="([^"]+)"', svc.text).group(1)
        first = self.location(b.post("/services/fop-registration/start", {"_key": key}))
        app = first.split("/")[3]
        contacts = "/me/applications/%s/pages/contacts" % app
        b.post("/signout", {})
        r = b.post(contacts, {"f-email": "late@example.com", "f-phone": "<b>x</b>",
                              "_action": "continue"})
        self.assertEqual(r.status, 303, r)
        self.assertTrue(self.location(r).startswith("/signin?next="), self.location(r))
        self.assertIn("ps_draft", b.cookies)
        r = self.sign_in(b, rnokpp, next_=contacts)
        self.assertEqual(self.location(r), contacts)
        page = b.get(contacts)
        self.assertIn('value="late@example.com"', page.text)
        self.assertIn('value="&lt;b&gt;x&lt;/b&gt;"', page.text)
        self.assertIn("Your session had ended", page.text)
        self.assertNotIn('value="late@example.com"', b.get(contacts).text, "read once, not saved")

    # ---- marriage: consent and a registrar through the pages ----
    def test_marriage_consent_and_registrar_through_the_pages(self):
        a, ba, _ = self.person("1991-03-03", "male")
        partner, bb, _ = self.person("1993-04-04", "female", lang="uk")
        _, breg, treg = self.person("1975-01-01", role=("registrar", "minjust"))
        # the registrar adds a slot on the calendar page (linked from the tasks page)
        self.assertIn('href="/official/slots/minjust"', breg.get("/official/queue").text)
        cal = breg.get("/official/slots/minjust")
        self.assertEqual(cal.status, 200, cal)
        self.assertIn("There are no free slots", cal.text)
        r = breg.post("/official/slots/minjust", {"f-kind": "", "starts-day": "",
                                                  "starts-month": "", "starts-year": "",
                                                  "time": "25:00", "minutes": "3"})
        self.assertEqual(r.status, 400, r)
        for text in ("Choose the kind", "Enter the date", "Enter the time like 14:30",
                     "from 5 to 480"):
            self.assertIn(text, r.text)
        day = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=2)
        slot_form = {"f-kind": "video-ceremony", "starts-day": str(day.day),
                     "starts-month": str(day.month), "starts-year": str(day.year),
                     "time": "10:30", "minutes": "30"}
        r = breg.post("/official/slots/minjust", slot_form)
        self.assertEqual(self.location(r), "/official/slots/minjust")
        self.assertIn("10:30", breg.get("/official/slots/minjust").text)
        r = breg.post("/official/slots/minjust", slot_form)
        self.assertEqual(r.status, 400)
        self.assertIn("You already have a slot starting then", r.text)
        # a citizen may not keep a calendar
        self.assertEqual(ba.post("/official/slots/minjust", slot_form).status, 403)
        svc = ba.get("/services/marriage")
        key = re.search(r'name="_key" value="([^"]+)"', svc.text).group(1)
        r = ba.post("/services/marriage/start", {"_key": key})
        app = re.match(r"/me/applications/([0-9a-f-]{36})/", self.location(r)).group(1)
        base = "/me/applications/%s/pages/" % app
        r = ba.post(base + "spouse", {"f-spouse": a, "_action": "continue"})
        self.assertEqual(r.status, 400)
        self.assertIn("Name another person", r.text)
        r = ba.post(base + "spouse", {"f-spouse": partner, "_action": "continue"})
        # the surname is prefilled: the ceremony's slots next
        self.assertEqual(self.location(r), base + "ceremony")
        page = ba.get(base + "ceremony")
        slot = re.search(r'name="f-ceremony_slot" type="radio" value="([^"]+)"', page.text).group(1)
        r = ba.post(base + "ceremony", {"f-ceremony_slot": slot, "_action": "continue"})
        check = self.follow(ba, r)
        key = re.search(r'name="_key" value="([^"]+)"', check.text).group(1)
        r = ba.post("/me/applications/%s/submit" % app, {"_key": key})
        done = self.follow(ba, r)
        self.assertIn("Application sent", done.text)
        self.assertIn("Waiting for the other person", done.text)
        self.assertIn("8.50", done.text)
        # the partner: the application among theirs, the consent form on its page (Ukrainian)
        mine = bb.get("/me/applications")
        self.assertIn('href="/me/applications/%s"' % app, mine.text)
        view = bb.get("/me/applications/" + app)
        self.assertIn('action="/me/applications/%s/consent"' % app, view.text)
        self.assertIn("Ваше прізвище після шлюбу", view.text)
        r = bb.post("/me/applications/%s/consent" % app, {"f-surname_after": "", "_action": "yes"})
        self.assertEqual(r.status, 400, r)
        self.assertTrue(r.title().startswith("Помилка:"), r.title())
        self.assertIn('href="#f-surname_after"', r.text)
        r = bb.post("/me/applications/%s/consent" % app,
                    {"f-surname_after": "Бондар", "_action": "yes"})
        self.assertEqual(self.location(r), "/me/applications/" + app)
        self.assertNotIn('/consent"', bb.get("/me/applications/" + app).text)
        # the applicant cannot consent for them
        self.assertEqual(ba.post("/me/applications/%s/consent" % app,
                                 {"_action": "yes"}).status, 403)
        # the registrar: the queue, the task (the read recorded), claim, a reject without a
        # reason refused by the form, then approve
        q = breg.get("/official/queue")
        self.assertEqual(q.status, 200, q)
        task = re.search(r'href="/official/tasks/([^"]+)"', q.text).group(1)
        t = breg.get("/official/tasks/" + task)
        self.assertEqual(t.status, 200, t)
        self.assertIn(partner, t.text)
        r = breg.post("/official/tasks/%s/claim" % task, {})
        t = self.follow(breg, r)
        self.assertIn('action="/official/tasks/%s/decision"' % task, t.text)
        r = breg.post("/official/tasks/%s/decision" % task, {"f-decision": "reject"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("Enter the reason for the refusal", r.text)
        r = breg.post("/official/tasks/%s/decision" % task, {"f-decision": "approve"})
        self.assertEqual(self.location(r), "/official/queue")
        for who in (ba, bb):
            v = who.get("/me/applications/" + app)
            self.assertIn("status--approved", v.text)
        self.assertIn("Your marriage is registered", ba.get("/me/inbox").text)
        self.assertIn("Шлюб зареєстровано", bb.get("/me/inbox").text)
        # a citizen has no queue
        self.assertEqual(ba.get("/official/queue").status, 403)

    def test_a_slot_taken_meanwhile_is_said_and_nothing_written(self):
        _, breg, _ = self.person("1970-02-02", role=("registrar", "minjust"))
        day = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=3)
        r = breg.post("/official/slots/minjust", {
            "f-kind": "video-ceremony", "starts-day": str(day.day),
            "starts-month": str(day.month), "starts-year": str(day.year), "time": "09:00",
            "minutes": "30"})
        self.assertEqual(r.status, 303, r)
        couples = [(self.person("1992-01-01", "male"), self.person("1994-01-01"))
                   for _ in range(2)]
        checks = []
        for (a, b) in couples:
            ba = a[1]
            svc = ba.get("/services/marriage")
            key = re.search(r'name="_key" value="([^"]+)"', svc.text).group(1)
            app = self.location(ba.post("/services/marriage/start", {"_key": key})).split("/")[3]
            base = "/me/applications/%s/pages/" % app
            ba.post(base + "spouse", {"f-spouse": b[0], "_action": "continue"})
            page = ba.get(base + "ceremony")
            slot = re.search(r'name="f-ceremony_slot" type="radio" value="([^"]+)"', page.text)
            r = ba.post(base + "ceremony", {"f-ceremony_slot": slot.group(1),
                                            "_action": "continue"})
            check = self.follow(ba, r)
            checks.append((ba, app, re.search(r'name="_key" value="([^"]+)"', check.text).group(1)))
        (b1, app1, k1), (b2, app2, k2) = checks
        self.assertEqual(self.location(b1.post("/me/applications/%s/submit" % app1, {"_key": k1})),
                         "/me/applications/%s/confirmation" % app1)
        r = b2.post("/me/applications/%s/submit" % app2, {"_key": k2})
        self.assertEqual(r.status, 409, r)
        self.assertIn("The application could not be completed, nothing was done: the time you "
                      "chose is no longer free", r.text)
        self.assertIn("Draft", b2.get("/me/applications/" + app2).text)
        # nothing free now: the ceremony page says so
        page = b2.get("/me/applications/%s/pages/ceremony" % app2)
        self.assertIn("There is nothing to choose from now", page.text)


if __name__ == "__main__":
    unittest.main()
