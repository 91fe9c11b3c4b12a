// The service pages in the browser suite (run.mjs imports this): their states for axe, weight,
// screenshots and reflow in both languages (the catalogue, a service, an application's form
// pages and their errors, check your answers, the confirmation, my applications, the inbox, the
// officials' queue), and one flow end to end by clicking (a demo citizen registers as a sole
// proprietor through the pages). Applications the states show are made once per server by
// prepareServices, through the pages' own forms ({app}: a draft, {done}: an approved one).

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
export function serviceTests(test, { newContext, demoSignIn, submit, assert, citizens }) {
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
}
