// The service pages in the browser suite (run.mjs imports this): their states for axe, weight,
// screenshots and reflow in both languages (the catalogue, a service, an application's form
// pages and their errors, check your answers, the confirmation, my applications, the inbox, the
// officials' queue), and one flow end to end by clicking (a demo citizen registers as a sole
// proprietor through the pages). Applications the states show are made once per server by
// prepareServices, through the pages' own forms ({app}: a draft, {done}: an approved one).

import { withRole } from "./lib/server.mjs";

const ids = { app: "none", done: "none" };
let prepared = null;

// {app} and {done} in a state's path or fields.
export function fillServices(text) {
  return text.replace("{app}", ids.app).replace("{done}", ids.done);
}

const SERVICE_PUBLIC = [
  { name: "services", path: "/services" },
  { name: "services-search", dark: false, path: "/services?q=%D1%88%D0%BB%D1%8E%D0%B1&category=family" },
  { name: "service", path: "/services/marriage" },
  { name: "error-service-unknown", dark: false, path: "/services/no-such-service", status: 404 },
];
const SERVICE_CITIZEN = [
  { name: "service-signed-in", dark: false, path: "/services/fop-registration" },
  { name: "app-page-list", path: "/me/applications/{app}/pages/activities" },
  { name: "app-page-radios", dark: false, path: "/me/applications/{app}/pages/tax" },
  { name: "app-page-address", dark: false, path: "/me/applications/{app}/pages/address" },
  { name: "app-page-text", dark: false, path: "/me/applications/{app}/pages/contacts" },
  { name: "error-app-radios", post: "/me/applications/{app}/pages/tax", fields: { _action: "continue" }, status: 400, summary: true },
  { name: "error-app-list", dark: false, post: "/me/applications/{app}/pages/activities", fields: { "f-activities-0-code": "99.99", _action: "continue" }, status: 400, summary: true },
  { name: "error-app-text", dark: false, post: "/me/applications/{app}/pages/contacts", fields: { "f-email": "not-an-email", _action: "continue" }, status: 400, summary: true },
  { name: "app-check", path: "/me/applications/{app}/check" },
  { name: "app-draft", dark: false, path: "/me/applications/{app}" },
  { name: "app-confirmation", path: "/me/applications/{done}/confirmation" },
  { name: "app-done", dark: false, path: "/me/applications/{done}" },
  { name: "applications", path: "/me/applications" },
  { name: "inbox", path: "/me/inbox" },
  { name: "error-not-eligible", post: "/services/fop-registration/start", fields: { _key: "browser-not-eligible" }, status: 403, summary: true },
  { name: "error-app-unknown", dark: false, path: "/me/applications/00000000-0000-7000-8000-000000000000", status: 404 },
].map((s) => ({ ...s, who: "citizen" }));
const SERVICE_OFFICIAL = [
  { name: "queue", path: "/official/queue" },
  { name: "calendar", dark: false, path: "/official/slots/pfu" },
].map((s) => ({ ...s, who: "official" }));

export const SERVICE_STATES = [...SERVICE_PUBLIC, ...SERVICE_CITIZEN, ...SERVICE_OFFICIAL];

// A form posted as the page's own would be (this site's Origin), without following the
// redirect: its Location.
async function post(page, base, path, form) {
  const r = await page.request.post(base + path, { form, headers: { Origin: base }, maxRedirects: 0 });
  if (r.status() !== 303) throw new Error(`${path}: ${r.status()} ${(await r.text()).slice(0, 300)}`);
  return r.headers()["location"];
}

async function key(page, base, path) {
  const text = await (await page.request.get(base + path)).text();
  const m = text.match(/name="_key" value="([^"]+)"/);
  if (!m) throw new Error(`${path}: no key`);
  return m[1];
}

// One FOP registration sent (approved) and one left as a draft, for the signed-in citizen of
// page's context; once per server.
export function prepareServices(page, base) {
  prepared ??= (async () => {
    const draft = await post(page, base, "/services/fop-registration/start",
                             { _key: await key(page, base, "/services/fop-registration") });
    ids.app = draft.split("/")[3];
    const first = await post(page, base, "/services/fop-registration/start",
                             { _key: await key(page, base, "/services/fop-registration") });
    const app = first.split("/")[3];
    const base2 = `/me/applications/${app}/pages/`;
    await post(page, base, base2 + "activities", { "f-activities-0-code": "62.01", _action: "continue" });
    await post(page, base, base2 + "tax", { "f-tax_system": "general", _action: "continue" });
    await post(page, base, base2 + "contacts", { "f-email": "fop@example.com", _action: "continue" });
    const done = await post(page, base, `/me/applications/${app}/submit`,
                            { _key: await key(page, base, `/me/applications/${app}/check`) });
    if (!done.endsWith("/confirmation")) throw new Error(`submit went to ${done}`);
    ids.done = app;
  })();
  return prepared;
}

// The flow end to end by clicking, in Ukrainian: find the service, start, answer each page
// (a KVED code, a radio, the prefilled address skipped, an email with a mistake first), check
// the answers, send, and see the outcome in my applications and the inbox.
export function serviceTests(test, h) {
  const { newContext, demoSignIn, submit, assert, citizens } = h;
  test("services: a citizen registers as a sole proprietor through the pages, by clicking", async ({ browser, base }) => {
    const ctx = await newContext(browser, base, { lang: "uk" });
    const page = await ctx.newPage();
    await demoSignIn(page, base, citizens()[0]);
    await page.goto(base + "/services");
    await page.fill("#q", "ФОП");
    await submit(page, () => page.click("form[role=search] button"));
    await submit(page, () => page.click('a[href="/services/fop-registration"]'));
    await submit(page, () => page.click("button.button--start"));
    assert(/\/pages\/activities$/.test(page.url()), `start went to ${page.url()}`);
    await page.fill("#f-activities-0-code", "62.01");
    await submit(page, () => page.press("#f-activities-0-code", "Enter")); // not "Remove"
    assert(/\/pages\/tax$/.test(page.url()), `after activities: ${page.url()}`);
    await page.check("#f-tax_system-3");
    await submit(page, () => page.click('.actions button[value="continue"]'));
    assert(/\/pages\/contacts$/.test(page.url()), `the prefilled address was asked: ${page.url()}`);
    await page.fill("#f-email", "no-at-sign");
    await submit(page, () => page.click('.actions button[value="continue"]'));
    assert((await page.title()).startsWith("Помилка:"), "no error title");
    const link = page.locator(".error-summary a");
    assert((await link.getAttribute("href")) === "#f-email", "the summary links to the field");
    await link.click();
    assert(await page.evaluate(() => document.activeElement.id === "f-email"), "focus on the field");
    await page.fill("#f-email", "fop@example.com");
    await submit(page, () => page.click('.actions button[value="continue"]'));
    assert(/\/check$/.test(page.url()), `not the check page: ${page.url()}`);
    const text = await page.textContent("main");
    for (const t of ["62.01", "Загальна система", "fop@example.com"])
      assert(text.includes(t), `check your answers lacks ${t}`);
    await submit(page, () => page.click('form[action$="/submit"] button'));
    assert(/\/confirmation$/.test(page.url()), `not the confirmation: ${page.url()}`);
    assert((await page.textContent("h1")).includes("Заяву виконано"), "not complete");
    await page.goto(base + "/me/applications");
    assert((await page.locator(".status--approved").count()) >= 1, "not approved in my applications");
    await page.goto(base + "/me/inbox");
    assert((await page.locator(".message--unread").count()) >= 1, "no new message");
    await submit(page, () => page.click(".message--unread form button"));
    await ctx.close();
  });

  // The officials' task page and its decision form: a marriage of two demo citizens waits for
  // a registrar of the civil registry (minjust); the demo official is made one with the
  // operator's token for this test only (it runs last: the role is revoked at its end, and the
  // application stays claimed and undecided). The task, the task claimed with its decision
  // form, and a refusal without a reason (400), each with axe in both languages.
  test("services: a registrar's task, claimed, and the decision form's error (axe) [uk, en]", async ({ browser, base, out, admin }) => {
    const { official, axe, checkPage, watch, LANGS, LAYOUT_RULES } = h;
    const contexts = [];
    const signedIn = async (person, lang = "en") => {
      const ctx = await newContext(browser, base, { lang });
      contexts.push(ctx);
      const page = await ctx.newPage();
      await demoSignIn(page, base, person);
      return page;
    };
    await withRole(base, admin(), "minjust", official().rnokpp, "registrar", async () => {
      const reg = await signedIn(official());
      const day = new Date(Date.now() + 2 * 86400000);
      await post(reg, base, "/official/slots/minjust", {
        "f-kind": "video-ceremony", "starts-day": String(day.getUTCDate()),
        "starts-month": String(day.getUTCMonth() + 1), "starts-year": String(day.getUTCFullYear()),
        time: "10:30", minutes: "30" });
      // the first two demo citizens who may marry each other
      let app = null, partner = null;
      const people = citizens();
      for (let i = 0; i < people.length && !app; i++) {
        const a = await signedIn(people[i]);
        for (let j = 0; j < people.length && !app; j++) {
          if (j === i) continue;
          try {
            const start = await post(a, base, "/services/marriage/start",
                                     { _key: await key(a, base, "/services/marriage") });
            const id = start.split("/")[3];
            const pages = `/me/applications/${id}/pages/`;
            await post(a, base, pages + "spouse", { "f-spouse": people[j].rnokpp, _action: "continue" });
            const cer = await (await a.request.get(base + pages + "ceremony")).text();
            const slot = cer.match(/name="f-ceremony_slot" type="radio" value="([^"]+)"/);
            if (!slot) throw new Error("no free slot offered");
            await post(a, base, pages + "ceremony", { "f-ceremony_slot": slot[1], _action: "continue" });
            await post(a, base, `/me/applications/${id}/submit`,
                       { _key: await key(a, base, `/me/applications/${id}/check`) });
            app = id;
            partner = people[j];
          } catch { /* these two may not marry (one married, relatives): the next pair */ }
        }
      }
      assert(app, "no two demo citizens may marry");
      const b = await signedIn(partner);
      await post(b, base, `/me/applications/${app}/consent`, { "f-surname_after": "Бондар", _action: "yes" });
      const queue = await (await reg.request.get(base + "/official/queue")).text();
      const task = queue.match(/href="\/official\/tasks\/([^"]+)"/);
      assert(task, "the marriage is not in the registrar's queue");
      await post(reg, base, `/official/tasks/${task[1]}/claim`, {});
      for (const lang of LANGS) {
        const page = await signedIn(official(), lang);
        const problems = watch(page);
        const look = async (resp, state) => {
          await checkPage(page, page.context(), resp, state, lang, problems);
          await axe(page, state);
          await page.screenshot({ path: `${out}/${state.name}-${lang}-1280.png`, fullPage: true });
          await page.setViewportSize({ width: 360, height: 760 });
          await axe(page, state, LAYOUT_RULES);
          await page.setViewportSize({ width: 1280, height: 800 });
        };
        const resp = await page.goto(`${base}/official/tasks/${task[1]}`, { waitUntil: "load" });
        assert(await page.locator(`form[action="/official/tasks/${task[1]}/decision"]`).count() === 1,
               "the claimed task has no decision form");
        await look(resp, { name: "task-claimed" });
        await page.check('input[name="f-decision"][value="reject"]');
        const [err] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }),
          page.click(`form[action="/official/tasks/${task[1]}/decision"] button[type=submit]`)]);
        await look(err, { name: "error-task-reason", status: 400, summary: true });
      }
    }).finally(() => Promise.all(contexts.map((ctx) => ctx.close().catch(() => {}))));
  });
}
