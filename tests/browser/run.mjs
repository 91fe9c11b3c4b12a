// The portal in a real browser: starts its own `pocketstate demo`, drives Debian's Chromium with
// playwright-core, and checks every page in both languages, signed in and out (and every error
// state) with axe-core, takes screenshots at 360 and 1280 px, walks the home page by keyboard,
// checks reflow at 320 px, visible focus, dark mode and reduced motion, the pages without
// JavaScript, CSP (no violation, nothing from another host) and page weight. With a CDP virtual
// authenticator it enrols a demo person from the activation code, signs out, signs in with the
// passkey, reads "my data", and sees an official's read (a second browser context signed in as
// the demo official) appear in "who used my data"; enrolment and sign-in again by keyboard
// only. Prints one line per test and a last line "N passed, N failed" (scripts/browser-test.sh,
// make test).
//
//   node tests/browser/run.mjs --bin build/pocketstate --out build/screenshots [--filter TEXT]
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { AxeBuilder } from "@axe-core/playwright";

import { DOCUMENT_STATES, documentTests } from "./documents.mjs";
import { launch, newContext, watch } from "./lib/browser.mjs";
import { startServer } from "./lib/server.mjs";
import { addVirtualAuthenticator } from "./lib/webauthn.mjs";
import { SERVICE_STATES, fillServices, prepareServices, serviceTests } from "./services.mjs";

const { values: opt } = parseArgs({
  options: {
    bin: { type: "string", default: "build/pocketstate" },
    out: { type: "string", default: "build/screenshots" },
    logs: { type: "string" },
    filter: { type: "string" },
  },
});

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WEIGHT_MAX = 50 * 1024; // HTML + CSS + JS of one page, uncompressed
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];
const LANGS = ["uk", "en"];

// Every public page, then every error state a citizen can reach.
const PAGES = [
  { name: "home", path: "/" },
  { name: "about", path: "/about" },
  { name: "transparency", path: "/transparency" },
  { name: "record-form", path: "/transparency/record" },
  { name: "record", path: "/transparency/record?number=0" },
  { name: "not-found", path: "/no/such/page", status: 404 },
  { name: "signin", path: "/signin" },
  { name: "enrol", path: "/enrol" },
];
// The pages of a signed-in person (the demo official: roles, the work area), and their error
// states. {passkey} is the person's passkey id, {citizen} a demo citizen's RNOKPP.
const SIGNED_IN = [
  { name: "home-signed-in", dark: false, path: "/" },
  { name: "about-signed-in", dark: false, path: "/about" },
  { name: "transparency-signed-in", dark: false, path: "/transparency" },
  { name: "me", path: "/me" },
  { name: "access", path: "/me/access" },
  { name: "access-filtered", dark: false, path: "/me/access?period=week&org=pfu" },
  { name: "passkeys", path: "/me/passkeys?notice=renamed" },
  { name: "passkey-rename", path: "/me/passkeys/{passkey}/rename" },
  { name: "sessions", path: "/me/sessions" },
  { name: "official", path: "/official" },
  { name: "official-lookup", post: "/official", fields: { rnokpp: "{citizen}", purpose: "pension review" } },
  { name: "error-official-empty", post: "/official", fields: { rnokpp: "", purpose: "" }, status: 400, summary: true },
  { name: "error-official-unknown", dark: false, post: "/official", fields: { rnokpp: "1000000009", purpose: "test" }, status: 400, summary: true },
  { name: "error-rename-empty", post: "/me/passkeys/{passkey}/rename", fields: { name: "" }, status: 400, summary: true },
  { name: "error-remove-last", path: "/me/passkeys/{passkey}/remove", status: 409 },
  { name: "error-passkey-unknown", dark: false, path: "/me/passkeys/00000000-0000-7000-8000-000000000000/rename", status: 404 },
].map((s) => ({ ...s, who: "official" }));
const CITIZEN_ERRORS = [
  { name: "error-official-forbidden", path: "/official", status: 403 },
].map((s) => ({ ...s, who: "citizen" }));
const ERRORS = [
  { name: "error-enrol-empty", post: "/enrol", fields: { rnokpp: "", "birth-day": "", "birth-month": "", "birth-year": "", code: "" }, status: 400, summary: true },
  { name: "error-enrol-invalid", dark: false, post: "/enrol", fields: { rnokpp: "12345", "birth-day": "31", "birth-month": "2", "birth-year": "90", code: "abc" }, status: 400, summary: true },
  { name: "error-enrol-mismatch", dark: false, post: "/enrol", fields: { rnokpp: "{official}", "birth-day": "1", "birth-month": "1", "birth-year": "1990", code: "7KQ3M-9XD2H" }, status: 400, summary: true },
  { name: "error-enrol-no-passkey", post: "/enrol/passkey", fields: { credential: "" }, status: 400, summary: true },
  { name: "error-signin-no-passkey", post: "/signin", fields: { credential: "", next: "/me" }, status: 400, summary: true },
  { name: "error-demo-refused", post: "/signin/demo", fields: { rnokpp: "1000000009" }, status: 403 },
  { name: "error-record-empty", path: "/transparency/record?number=", status: 400, summary: true },
  { name: "error-record-not-digits", dark: false, path: "/transparency/record?number=abc", status: 400, summary: true },
  { name: "error-record-beyond", dark: false, path: "/transparency/record?number=999999", status: 400, summary: true },
  { name: "error-bad-address", path: "/transparency/record?number=%FF", status: 400 },
  { name: "error-too-many-fields",
    path: "/transparency/record?" + Array.from({ length: 70 }, (_, i) => `f${i}=1`).join("&"), status: 413 },
  { name: "error-method", post: "/about", status: 405 },
];

// ---- a tiny runner ----------------------------------------------------------------------

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Does action (a click, a key) and waits for the navigation it causes.
async function submit(page, action) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), action()]);
}

// The demo people as the home page lists them (RNOKPP, birth date, code, official or not).
let DEMO = [];
async function demoPeople(base) {
  const text = await (await fetch(base + "/?lang=en", { headers: { Accept: "text/html" } })).text();
  const cards = [...text.matchAll(/<li class="person">([\s\S]*?)<\/li>/g)].map((m) => m[1]);
  return cards.map((c) => ({
    rnokpp: c.match(/<dd>(\d{10})<\/dd>/)[1],
    code: c.match(/<code>([0-9A-Z-]{11})<\/code>/)[1],
    born: c.match(/<dt>Date of birth<\/dt><dd>(\d+) (\w+) (\d{4})<\/dd>/).slice(1),
    official: c.includes("Official:"),
  }));
}
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"];
const citizens = () => DEMO.filter((p) => !p.official);
const official = () => DEMO.find((p) => p.official);

// A state's path or fields with {passkey}, {citizen} and {official} filled in for the page's
// context. (Wrong activation codes are tried with the official's number: the official signs in
// with the demo's one click, and the citizens' codes must stay alive for the passkey tests.)
function fill(text, ctx) {
  return fillServices(text.replace("{passkey}", ctx.passkey || "none")
    .replace("{citizen}", citizens()[0].rnokpp).replace("{official}", official().rnokpp));
}

// Opens state (a GET path, or a form POST made by the page itself) and returns its response.
async function open(page, base, state) {
  const ctx = page.context();
  if (!state.post) return page.goto(base + fill(state.path, ctx), { waitUntil: "load" });
  await page.goto(base + "/", { waitUntil: "load" });
  const fields = Object.fromEntries(Object.entries(state.fields || {}).map(([k, v]) => [k, fill(v, ctx)]));
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.evaluate(([action, fields]) => { // as a browser sends a form: Origin, urlencoded
      const f = document.createElement("form");
      f.method = "post";
      f.action = action;
      for (const [name, value] of Object.entries(fields)) {
        const i = document.createElement("input");
        i.type = "hidden"; i.name = name; i.value = value;
        f.append(i);
      }
      document.body.append(f);
      f.submit();
    }, [fill(state.post, ctx), fields]),
  ]);
  return resp;
}

// Signs the context in with the demo's one click as person (the demo people's buttons on the
// sign-in page) and remembers the person's passkey id.
async function demoSignIn(page, base, person) {
  await page.goto(base + "/signin", { waitUntil: "load" });
  await submit(page, () => page.click(`form[action="/signin/demo"]:has(input[value="${person.rnokpp}"]) button`));
  assert(new URL(page.url()).pathname === "/me", `demo sign-in went to ${page.url()}`);
  await page.goto(base + "/me/passkeys", { waitUntil: "load" });
  const href = await page.getAttribute('a[href$="/rename"]', "href");
  page.context().passkey = href.split("/")[3];
}

// What every page must be, whatever else a test looks at.
async function checkPage(page, ctx, resp, state, lang, problems) {
  assert(resp, `${state.name}: no response`);
  assert(resp.status() === (state.status || 200), `${state.name}: status ${resp.status()}`);
  assert((await page.getAttribute("html", "lang")) === lang, `${state.name}: lang attribute`);
  assert((await page.locator("h1").count()) === 1, `${state.name}: not exactly one h1`);
  const own = `the server responded with a status of ${state.status}`;
  const left = problems.filter((p) => !(state.status && p.includes(own)));
  problems.length = 0;
  problems.push(...left);
  const title = await page.title();
  if (state.summary)
    assert(title.startsWith(lang === "uk" ? "Помилка:" : "Error:"), `${state.name}: title ${title}`);
  assert(problems.length === 0, `${state.name}: ${problems.join("; ")}`);
  assert(ctx.foreign.length === 0, `${state.name}: requests to other hosts: ${ctx.foreign}`);
}

async function axe(page, state, rules = null) {
  const builder = new AxeBuilder({ page });
  const r = await (rules ? builder.withRules(rules) : builder.withTags(AXE_TAGS)).analyze();
  const v = r.violations.map((x) => `${x.id} (${x.impact}): ${x.nodes.length}x ${x.nodes[0].target}`);
  assert(v.length === 0, `${state.name}: axe: ${v.join("; ")}`);
  return r.passes.length;
}

// ---- axe, weight, screenshots: every page and error state, both languages ---------------

// Pages kept open across states: one per language, light and dark, signed out or signed in as
// a demo person (contexts are slow to make).
const pages = new Map();
async function shared(browser, base, lang, dark, who = null) {
  const key = `${lang}-${dark ? "dark" : "light"}-${who || "anyone"}`;
  if (!pages.has(key)) {
    const ctx = await newContext(browser, base, { lang, dark, reducedMotion: dark });
    const page = await ctx.newPage();
    if (who) await demoSignIn(page, base, who === "official" ? official() : citizens()[1]);
    if (who === "citizen") await prepareServices(page, base);
    page.problems = watch(page);
    page.bytes = 0;
    page.on("response", async (r) => {
      if (["document", "stylesheet", "script"].includes(r.request().resourceType()))
        page.bytes += (await r.body().catch(() => Buffer.alloc(0))).length;
    });
    pages.set(key, { ctx, page });
  }
  return pages.get(key);
}

// Rules that depend on the viewport, run again at 360 px; and on colours, run in dark mode.
const LAYOUT_RULES = ["target-size", "color-contrast", "scrollable-region-focusable", "meta-viewport",
                      "region", "landmark-one-main", "page-has-heading-one"];

async function oneLanguage(browser, base, state, lang) {
  const { ctx, page } = await shared(browser, base, lang, false, state.who);
  await page.setViewportSize({ width: 1280, height: 800 });
  page.problems.length = 0;
  page.bytes = 0;
  const resp = await open(page, base, state);
  await checkPage(page, ctx, resp, state, lang, page.problems);
  await axe(page, state);
  if (!state.post) // (the POST state loaded the home page first)
    assert(page.bytes > 0 && page.bytes < WEIGHT_MAX, `${state.name}: page weight ${page.bytes} bytes`);
  await page.screenshot({ path: join(opt.out, `${state.name}-${lang}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 760 });
  await axe(page, state, LAYOUT_RULES);
  await page.screenshot({ path: join(opt.out, `${state.name}-${lang}-360.png`), fullPage: true });
  // dark mode (prefers-color-scheme) with reduced motion: colours and contrast again (once per
  // kind of page: a state marked dark: false shows a page another state covers)
  if (state.dark === false) return;
  const dark = await shared(browser, base, lang, true, state.who);
  dark.page.problems.length = 0;
  const dresp = await open(dark.page, base, state);
  await checkPage(dark.page, dark.ctx, dresp, state, lang, dark.page.problems);
  await axe(dark.page, state, ["color-contrast", "link-in-text-block"]);
  const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert(r + g + b < 150, `${state.name}: dark mode background ${bg}`);
  const sb = await dark.page.evaluate(() => getComputedStyle(document.documentElement).scrollBehavior);
  assert(sb === "auto", `${state.name}: scroll-behavior ${sb} with reduced motion`);
  if (["home", "error-record-empty", "me", "access"].includes(state.name))
    await dark.page.screenshot({ path: join(opt.out, `${state.name}-${lang}-dark-1280.png`) });
}

const STATES = [...PAGES, ...ERRORS, ...SIGNED_IN, ...CITIZEN_ERRORS, ...SERVICE_STATES, ...DOCUMENT_STATES];
for (const state of STATES) {
  test(`${state.name}: axe (1280 px, 360 px, dark), one h1, lang, CSP, weight, screenshots [uk, en]`,
    async ({ browser, base }) => {
      const results = await Promise.allSettled(LANGS.map((l) => oneLanguage(browser, base, state, l)));
      const bad = results.map((r, i) => r.status === "rejected" ? `${LANGS[i]}: ${r.reason.message}` : null)
        .filter(Boolean);
      assert(bad.length === 0, bad.join(" || "));
    });
}

documentTests({ test, assert, axe, checkPage, demoSignIn, newContext, watch, citizens, official, LANGS, LAYOUT_RULES });

// ---- reflow, focus, keyboard ------------------------------------------------------------

test("reflow at 320 px (400 % zoom of 1280 px): no horizontal scrolling", async ({ browser, base }) => {
  for (const lang of LANGS) {
    for (const who of [null, "official", "citizen"]) {
      const ctx = await newContext(browser, base, { lang, viewport: { width: 320, height: 640 } });
      const page = await ctx.newPage();
      if (who) await demoSignIn(page, base, who === "official" ? official() : citizens()[1]);
      for (const state of STATES.filter((s) => (s.who || null) === who)) {
        await open(page, base, state);
        const { sw, cw } = await page.evaluate(() => ({
          sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
        assert(sw <= cw, `${state.name} [${lang}]: ${sw} px wide in a ${cw} px viewport`);
      }
      await ctx.close();
    }
  }
});

// The focusable elements in tab order, as the keyboard reaches them.
async function tabOrder(page, max = 40) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const el = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a || a === document.body) return null;
      const cs = getComputedStyle(a);
      const r = a.getBoundingClientRect();
      return {
        tag: a.tagName.toLowerCase(), text: (a.textContent || a.value || "").trim().slice(0, 40),
        href: a.getAttribute("href"), id: a.id,
        outline: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2,
        shadow: cs.boxShadow !== "none", bg: cs.backgroundColor,
        visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0,
        height: r.height, width: r.width,
      };
    });
    if (!el || (seen.length && el.href === seen[0].href && el.text === seen[0].text)) break;
    seen.push(el);
  }
  return seen;
}

test("keyboard: skip link first, then header, navigation, content, footer; focus always visible", async ({ browser, base }) => {
  const ctx = await newContext(browser, base, { lang: "en" });
  const page = await ctx.newPage();
  await page.goto(base + "/");
  const order = await tabOrder(page);
  const hrefs = order.map((e) => e.href);
  const expect = ["#main", "/", "/?lang=uk", "/", "/services", "/verify", "/transparency", "/about", "/signin", "/enrol",
                  "/services", "/transparency", "/about", "/transparency", "/api/openapi.json"];
  assert(JSON.stringify(hrefs) === JSON.stringify(expect), `tab order ${JSON.stringify(hrefs)}`);
  assert(order[0].text === "Skip to main content", `first stop: ${order[0].text}`);
  for (const e of order) {
    assert(e.visible, `${e.href}: focused but not visible`);
    assert(e.outline || e.shadow, `${e.href}: no visible focus indicator`);
  }
  // the skip link, by keyboard: focus lands on <main>, the next Tab on its first link
  await page.goto(base + "/");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  const active = await page.evaluate(() => document.activeElement.id);
  assert(active === "main", `after the skip link focus is on #${active}`);
  await page.keyboard.press("Tab");
  const next = await page.evaluate(() => document.activeElement.getAttribute("href"));
  assert(next === "/signin", `first stop in main: ${next}`);
  await ctx.close();
});

test("keyboard: the record form, its error summary and the field", async ({ browser, base }) => {
  const ctx = await newContext(browser, base, { lang: "uk" });
  const page = await ctx.newPage();
  await page.goto(base + "/transparency/record");
  let id = "";
  for (let i = 0; i < 20 && id !== "number"; i++) {
    await page.keyboard.press("Tab");
    id = await page.evaluate(() => document.activeElement.id);
  }
  assert(id === "number", "the field is not reachable by Tab");
  await page.keyboard.type("abc");
  await submit(page, () => page.keyboard.press("Enter"));
  assert((await page.title()).startsWith("Помилка:"), "no error title after a bad value");
  assert((await page.inputValue("#number")) === "abc", "the value typed is not kept");
  const summary = page.locator(".error-summary a");
  assert((await summary.count()) === 1, "error summary");
  assert((await summary.getAttribute("href")) === "#number", "summary links to the field");
  await page.fill("#number", "0");
  await submit(page, () => page.keyboard.press("Enter"));
  assert((await page.locator("h2", { hasText: "Запис 0" }).count()) === 1, "the record after a good value");
  await ctx.close();
});

test("target sizes: controls at least 44 px high, stand-alone links at least 24 px", async ({ browser, base }) => {
  for (const width of [360, 1280]) {
    const ctx = await newContext(browser, base, { lang: "uk", viewport: { width, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(base + "/transparency/record?number=");
    const small = await page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll("header a, nav a, footer a, button, input, .error-summary a")) {
        const r = el.getBoundingClientRect();
        const min = el.matches("button, input, .nav a, .header__lang") ? 44 : 24;
        if (r.height < min - 0.5) out.push(`${el.tagName} ${el.textContent.trim()}: ${r.height}`);
      }
      return out;
    });
    assert(small.length === 0, `small targets at ${width}: ${small}`);
    await ctx.close();
  }
});

// ---- languages, no JavaScript, scripts ---------------------------------------------------

test("language link keeps the page and is remembered", async ({ browser, base }) => {
  const ctx = await newContext(browser, base, { lang: "uk" });
  const page = await ctx.newPage();
  await page.goto(base + "/transparency/record?number=0");
  await submit(page, () => page.click("a.header__lang"));
  assert(page.url() === `${base}/transparency/record?number=0&lang=en`, `went to ${page.url()}`);
  assert((await page.getAttribute("html", "lang")) === "en", "not English after the switch");
  assert((await page.locator("h2", { hasText: "Record 0" }).count()) === 1, "not the same record");
  await page.goto(base + "/about");
  assert((await page.getAttribute("html", "lang")) === "en", "the choice is not remembered");
  await ctx.close();
});

test("without JavaScript: every page and the form work", async ({ browser, base }) => {
  const ctx = await newContext(browser, base, { lang: "en", javaScript: false });
  const page = await ctx.newPage();
  for (const state of PAGES) {
    const resp = await page.goto(base + state.path);
    assert(resp.status() === (state.status || 200), `${state.name}: ${resp.status()}`);
  }
  await page.goto(base + "/transparency/record");
  await page.fill("#number", "");
  await submit(page, () => page.click("button[type=submit]"));
  assert((await page.title()).startsWith("Error:"), "no error page without JavaScript");
  await page.fill("#number", "1");
  await submit(page, () => page.click("button[type=submit]"));
  assert((await page.locator("h2", { hasText: "Record 1" }).count()) === 1, "no record without JavaScript");
  await ctx.close();
});

// The static file convention: web/static/NAME is served at /static/STEM.HASH.EXT, HASH the first
// 10 hex digits of its SHA-256 (scripts/portal_gen.py).
function staticUrl(name) {
  const data = readFileSync(join(ROOT, "web/static", name));
  const hash = createHash("sha256").update(data).digest("hex").slice(0, 10);
  const dot = name.lastIndexOf(".");
  return `/static/${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

// passkey.js on a page, as the identity pages will use it: a form marked data-passkey posts
// to the options URL, the script runs the ceremony with the virtual authenticator and submits
// the credential's JSON in the hidden field. The options and the form's target are stubbed
// with request interception (identity brings the real ones).
test("passkey.js: create and get a passkey through a marked form, under the page's CSP", async ({ browser, base }) => {
  const ctx = await newContext(browser, base, { lang: "en" });
  const page = await ctx.newPage();
  const problems = watch(page);
  const url = staticUrl("passkey.js");
  const js = await ctx.request.get(base + url);
  assert(js.ok() && js.headers()["content-type"] === "text/javascript; charset=utf-8", `GET ${url}: ${js.status()}`);
  assert(js.headers()["cache-control"] === "public, max-age=31536000, immutable", "passkey.js caching");
  assert((await ctx.request.get(base + "/static/passkey.js")).status() === 404, "unhashed URL served");
  const challenge = crypto.getRandomValues(new Uint8Array(32));
  const posted = [];
  await page.route(base + "/test/options", (route) => route.fulfill({ json: { publicKey: {
    rp: { id: "localhost", name: "PocketState" },
    user: { id: b64url([7, 7, 7]), name: "3443818003", displayName: "Test Person" },
    challenge: b64url(challenge), timeout: 30000,
    pubKeyCredParams: [{ type: "public-key", alg: -7 }],
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    allowCredentials: [], rpId: "localhost",
  } } }));
  await page.route(base + "/test/done", (route) => {
    posted.push(new URLSearchParams(route.request().postData()).get("credential"));
    return route.fulfill({ contentType: "text/html", body: "<!DOCTYPE html><title>done</title>" });
  });
  const auth = await addVirtualAuthenticator(page);
  for (const mode of ["create", "get"]) {
    await page.goto(base + "/");
    await page.addScriptTag({ url });
    await page.evaluate((m) => {
      const f = document.createElement("form");
      f.method = "post"; f.action = "/test/done";
      f.setAttribute("data-passkey", m); f.setAttribute("data-options", "/test/options");
      f.innerHTML = '<input type="hidden" name="credential"><p data-passkey-status role="alert"></p>' +
                    '<button type="submit">Go</button>';
      document.querySelector("main").append(f);
    }, mode);
    await Promise.all([page.waitForURL(base + "/test/done"), page.click("main form button")]);
  }
  assert(posted.length === 2, `posted ${posted.length} forms`);
  const [made, used] = posted.map((p) => JSON.parse(p));
  const cd = (c) => JSON.parse(Buffer.from(c.response.clientDataJSON, "base64url").toString());
  assert(made.response.attestationObject && cd(made).type === "webauthn.create", "create response");
  assert(cd(made).challenge === b64url(challenge) && cd(made).origin === base, JSON.stringify(cd(made)));
  assert(used.response.signature && cd(used).type === "webauthn.get" && used.id === made.id, "get response");
  assert((await auth.credentials()).length === 1, "one resident credential");
  // without options the script says so in the status element and leaves the form alone
  await page.unroute(base + "/test/options");
  await page.goto(base + "/");
  await page.addScriptTag({ url });
  await page.evaluate(() => {
    const f = document.createElement("form");
    f.method = "post"; f.action = "/test/done";
    f.setAttribute("data-passkey", "get"); f.setAttribute("data-options", "/test/options");
    f.innerHTML = '<input type="hidden" name="credential"><p data-passkey-status role="alert"></p><button>Go</button>';
    document.querySelector("main").append(f);
  });
  await page.click("main form button");
  await page.waitForFunction(() => document.querySelector("[data-passkey-status]").textContent !== "");
  assert(page.url() === base + "/", "the form was submitted without a credential");
  await auth.remove();
  await ctx.close();
  assert(problems.filter((p) => !p.includes("404")).length === 0, problems.join("; "));
});

test("harness: a CDP virtual authenticator (ctap2, internal, resident key, UV) makes a passkey", async ({ browser, base }) => {
  const ctx = await newContext(browser, base, { lang: "en" });
  const page = await ctx.newPage();
  await page.goto(base + "/");
  const auth = await addVirtualAuthenticator(page);
  const made = await page.evaluate(async () => {
    const cred = await navigator.credentials.create({ publicKey: {
      rp: { id: location.hostname, name: "PocketState" },
      user: { id: new Uint8Array([1, 2, 3, 4]), name: "3443818003", displayName: "Test" },
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
      authenticatorSelection: { residentKey: "required", userVerification: "required",
                                authenticatorAttachment: "platform" },
    } });
    const got = await navigator.credentials.get({ publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: location.hostname,
      userVerification: "required" } });
    return { created: cred.id, used: got.id, type: cred.type };
  });
  assert(made.type === "public-key" && made.created === made.used, JSON.stringify(made));
  const creds = await auth.credentials();
  assert(creds.length === 1 && creds[0].isResidentCredential, `credentials ${JSON.stringify(creds)}`);
  await auth.remove();
  await ctx.close();
});

// ---- passkeys end to end: enrol, sign out, sign in, my data, an official's read -----------

// Fills enrolment step 1 for person (the fields by label, as a person would).
async function fillEnrol(page, person) {
  await page.fill("#rnokpp", person.rnokpp);
  await page.fill("#birth-day", person.born[0]);
  await page.fill("#birth-month", String(MONTHS.indexOf(person.born[1]) + 1));
  await page.fill("#birth-year", person.born[2]);
  await page.fill("#code", person.code);
}

async function signedInAs(page, rnokpp) {
  const main = await page.textContent("main");
  assert(new URL(page.url()).pathname === "/me", `at ${page.url()}`);
  assert(main.includes(rnokpp), "my data does not show the person's RNOKPP");
  assert((await page.textContent("header")).includes("Signed in as"), "no signed-in header");
}

// The official (second browser context, the demo's one click) looks the person up.
async function officialReads(browser, base, rnokpp, purpose) {
  const ctx = await newContext(browser, base, { lang: "en" });
  const page = await ctx.newPage();
  await demoSignIn(page, base, official());
  await page.goto(base + "/official");
  await page.fill("#rnokpp", rnokpp);
  await page.fill("#purpose", purpose);
  await submit(page, () => page.click("main form button[type=submit]"));
  assert((await page.textContent("main")).includes("This read was recorded"), "the lookup failed");
  await ctx.close();
}

// The virtual authenticator answers an autofill (conditional) request at once, as if the person
// had picked the passkey: pages get autofill only when the test turns it on (localStorage), so
// that the button is what a test presses.
async function autofillSwitch(page) {
  await page.addInitScript(() => {
    if (!window.PublicKeyCredential || !PublicKeyCredential.isConditionalMediationAvailable) return;
    const real = PublicKeyCredential.isConditionalMediationAvailable.bind(PublicKeyCredential);
    PublicKeyCredential.isConditionalMediationAvailable = () =>
      localStorage.getItem("autofill") === "on" ? real() : Promise.resolve(false);
  });
}

test("passkeys: enrol from the activation code, sign out, sign in (button, then autofill), my data, an official's read in who used my data", async ({ browser, base }) => {
  const person = citizens()[0];
  const ctx = await newContext(browser, base, { lang: "en" });
  const page = await ctx.newPage();
  const problems = watch(page);
  await autofillSwitch(page);
  const auth = await addVirtualAuthenticator(page);
  await page.goto(base + "/enrol");
  await fillEnrol(page, person);
  await submit(page, () => page.click("main form button[type=submit]"));
  assert((await page.textContent("h1")) === "Create your passkey", `step 2: ${await page.textContent("h1")}`);
  await submit(page, () => page.click("#create"));
  await signedInAs(page, person.rnokpp);
  assert((await page.textContent(".notice")).includes("passkey is ready"), "no confirmation");
  const creds = await auth.credentials();
  assert(creds.length === 1 && creds[0].isResidentCredential && creds[0].rpId === "localhost",
         `credentials ${JSON.stringify(creds)}`);
  // sign out from the header
  await submit(page, () => page.click(".header__account button"));
  assert(new URL(page.url()).pathname === "/", `after sign-out at ${page.url()}`);
  assert(!(await page.textContent("header")).includes("Signed in as"), "still signed in");
  assert((await page.goto(base + "/me")).url().includes("/signin?next=%2Fme"), "my data without a session");
  // sign in with the passkey: the button
  await submit(page, () => page.click("#signin"));
  await signedInAs(page, person.rnokpp);
  // and through autofill: the page asks at load, the passkey is picked, the form is sent
  await submit(page, () => page.click(".header__account button"));
  await page.evaluate(() => localStorage.setItem("autofill", "on"));
  if (await page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable())) {
    await Promise.all([page.waitForURL(base + "/me"), page.goto(base + "/signin?next=/me")]);
    await signedInAs(page, person.rnokpp);
    console.log("     (signed in through autofill: conditional mediation)");
  } else {
    console.log("     (this Chromium offers no autofill for passkeys: the button only)");
    await page.goto(base + "/signin?next=/me");
    await submit(page, () => page.click("#signin"));
  }
  await page.evaluate(() => localStorage.removeItem("autofill"));
  // an official reads the record; the person sees it, then sees it included in the log
  await officialReads(browser, base, person.rnokpp, "pension review");
  const want = /An official of the Pension Fund of Ukraine, role registrar, read your record on \d+ \w+ \d{4} at \d\d:\d\d UTC, purpose: pension review/;
  let included = false;
  for (let i = 0; i < 40 && !included; i++) {
    await page.goto(base + "/me/access");
    const rec = page.locator(".record", { hasText: "pension review" }).first();
    if (await rec.count()) {
      assert(want.test(await rec.textContent()), `wording: ${await rec.textContent()}`);
      included = (await rec.locator(".badge--ok").count()) === 1;
    }
    if (!included) await page.waitForTimeout(250);
  }
  assert(included, "the official's read is not shown as included in the public log");
  await page.screenshot({ path: join(opt.out, "access-with-read-en-1280.png") }); // README
  assert(problems.length === 0, problems.join("; "));
  await auth.remove();
  await ctx.close();
});

// Tab until the focused element satisfies want (an id, or a predicate on it); its id.
async function tabTo(page, want, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const el = await page.evaluate(() => {
      const a = document.activeElement;
      return { id: a.id, tag: a.tagName.toLowerCase(), text: (a.textContent || "").trim(),
               form: a.form ? a.form.getAttribute("action") : null };
    });
    if (typeof want === "string" ? el.id === want : want(el)) return el;
  }
  throw new Error(`never reached ${want} by Tab`);
}

test("keyboard only: enrolment and sign-in with a passkey", async ({ browser, base }) => {
  const person = citizens()[1];
  const ctx = await newContext(browser, base, { lang: "uk" });
  const page = await ctx.newPage();
  await autofillSwitch(page);
  const auth = await addVirtualAuthenticator(page);
  await page.goto(base + "/");
  await tabTo(page, (el) => el.tag === "a" && el.text === "Зареєструватися за кодом активації");
  await submit(page, () => page.keyboard.press("Enter"));
  assert(new URL(page.url()).pathname === "/enrol", `Enter on the link went to ${page.url()}`);
  // a mistake first: the error summary, then the field, by keyboard
  await tabTo(page, "rnokpp");
  await page.keyboard.type("12");
  await submit(page, () => page.keyboard.press("Enter"));
  assert((await page.title()).startsWith("Помилка:"), "no error title");
  await tabTo(page, (el) => el.tag === "a" && el.text.startsWith("Введіть податковий номер"));
  await page.keyboard.press("Enter");
  assert((await page.evaluate(() => document.activeElement.id)) === "rnokpp", "summary link to the field");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(person.rnokpp);
  for (const [id, value] of [["birth-day", person.born[0]],
                             ["birth-month", String(MONTHS.indexOf(person.born[1]) + 1)],
                             ["birth-year", person.born[2]], ["code", person.code]]) {
    await tabTo(page, id);
    await page.keyboard.press("Control+A");
    await page.keyboard.type(value);
  }
  await submit(page, () => page.keyboard.press("Enter"));
  assert((await page.textContent("h1")) === "Створіть ключ доступу", `step 2: ${await page.textContent("h1")}`);
  await tabTo(page, "create");
  await submit(page, () => page.keyboard.press("Enter"));
  assert(new URL(page.url()).pathname === "/me", `after creating the passkey at ${page.url()}`);
  // sign out by keyboard, then sign in by keyboard
  await page.goto(base + "/about");
  await tabTo(page, (el) => el.tag === "button" && el.form === "/signout");
  await submit(page, () => page.keyboard.press("Enter"));
  await page.goto(base + "/signin");
  await tabTo(page, "signin");
  await submit(page, () => page.keyboard.press("Enter"));
  assert(new URL(page.url()).pathname === "/me", `after signing in at ${page.url()}`);
  assert((await page.textContent("main")).includes(person.rnokpp), "not the person's data");
  await auth.remove();
  await ctx.close();
});

test("sign-in page: autofill (conditional mediation) on the RNOKPP field where the browser offers it", async ({ browser, base }) => {
  const ctx = await newContext(browser, base, { lang: "en" });
  const page = await ctx.newPage();
  const options = [];
  page.on("request", (r) => { if (r.url().endsWith("/api/v1/auth/signin/options")) options.push(r.method()); });
  await page.goto(base + "/signin");
  assert((await page.getAttribute("#username", "autocomplete")) === "username webauthn", "autocomplete");
  const available = await page.evaluate(() => window.PublicKeyCredential &&
    PublicKeyCredential.isConditionalMediationAvailable ? PublicKeyCredential.isConditionalMediationAvailable() : false);
  if (available) {
    await page.waitForTimeout(500);
    assert(options.length === 1 && options[0] === "POST", `options requested at load: ${options}`);
  }
  await ctx.close();
});

// ---- main --------------------------------------------------------------------------------

serviceTests(test, { newContext, demoSignIn, submit, assert, citizens, official, axe, checkPage, watch, LANGS, LAYOUT_RULES });

async function main() {
  mkdirSync(opt.out, { recursive: true });
  const t0 = Date.now();
  const server = await startServer(opt.bin, { logDir: opt.logs || null });
  DEMO = await demoPeople(server.base);
  let browser;
  let passed = 0, failed = 0;
  try {
    browser = await launch();
    for (const t of tests) {
      if (opt.filter && !t.name.includes(opt.filter)) continue;
      const t1 = Date.now();
      try {
        await t.fn({ browser, base: server.base, out: opt.out, admin: server.adminToken });
        passed++;
        console.log(`ok   ${t.name} (${Date.now() - t1} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${t.name}: ${e.message.split("\n").slice(0, 6).join(" | ")}`);
      }
    }
  } catch (e) {
    failed++;
    console.log(`FAIL harness: ${e.message}`);
  } finally {
    for (const { ctx } of pages.values()) await ctx.close().catch(() => {});
    if (browser) await browser.close();
    const code = await server.stop();
    if (code !== 0) {
      failed++;
      console.log(`FAIL server exit status ${code} (log: ${server.logPath})`);
    }
  }
  console.log(`browser: ${Math.round((Date.now() - t0) / 1000)} s, screenshots in ${opt.out}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`FAIL harness: ${e.stack}`);
  console.log("0 passed, 1 failed");
  process.exitCode = 1;
});
