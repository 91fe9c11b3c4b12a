// The documents pages in the real browser (tests/browser/run.mjs imports this file): the
// pages every state walk covers (my documents, the verify page and its errors, the officials'
// documents) and the flows that need a document: one document with its QR code, a share code
// checked on the verify page by another browser, a screenshot of the QR code sent there, each in both languages with axe; and offline
// use: the service worker keeps the pages, the page registers a device key, and with the
// context offline the phone shows its documents and makes a fresh presentation with that key,
// which the verify page (online again) accepts as made by the holder's phone.

import { withRole } from "./lib/server.mjs";

// States for run.mjs's walk (axe at 1280 and 360 px, dark mode, one h1, CSP, weight).
export const DOCUMENT_STATES = [
  { name: "verify", path: "/verify" },
  { name: "verify-link", dark: false, path: "/verify/7K2M9QXD4HRTC8WN" },
  { name: "verify-qr-refused", dark: false, post: "/verify", fields: { qr: "PS1:NOT-A-DOCUMENT", check: "qr" } },
  { name: "error-verify-empty", post: "/verify", fields: { code: "", check: "code" }, status: 400, summary: true },
  { name: "error-verify-unknown", dark: false, post: "/verify", fields: { code: "AAAAAAAAAAAAAAAA", check: "code" }, status: 400, summary: true },
  { name: "documents", path: "/me/documents", who: "citizen" },
  { name: "official-documents", path: "/official/documents", who: "official" },
  { name: "official-documents-lookup", post: "/official/documents", fields: { rnokpp: "{citizen}", purpose: "document check" }, who: "official" },
  { name: "error-official-documents-empty", dark: false, post: "/official/documents", fields: { rnokpp: "", purpose: "" }, status: 400, summary: true, who: "official" },
];

// The tests that need a document, with run.mjs's helpers.
export function documentTests(h) {
  const { test, assert, axe, checkPage, demoSignIn, newContext, watch, citizens, official, LANGS, LAYOUT_RULES } = h;

  async function firstDocument(page, base) {
    await page.goto(base + "/me/documents", { waitUntil: "load" });
    const href = await page.getAttribute(".card__title a", "href");
    assert(href && /^\/me\/documents\/[0-9a-f-]{36}$/.test(href), `first card: ${href}`);
    return href;
  }

  async function navigate(page, action) {
    const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), action()]);
    return resp;
  }

  async function looked(page, ctx, resp, state, lang, problems, shot) {
    await checkPage(page, ctx, resp, state, lang, problems);
    await axe(page, state);
    await page.screenshot({ path: `${shot}/${state.name}-${lang}-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 360, height: 760 });
    await axe(page, state, LAYOUT_RULES);
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  test("documents: one document, its QR code, a share code and a screenshot checked on the verify page (axe) [uk, en]", async ({ browser, base, out }) => {
    for (const lang of LANGS) {
      const ctx = await newContext(browser, base, { lang });
      const page = await ctx.newPage();
      await demoSignIn(page, base, citizens()[0]);
      const problems = watch(page);
      const href = await firstDocument(page, base);
      const resp = await page.goto(base + href, { waitUntil: "load" });
      await looked(page, ctx, resp, { name: "document" }, lang, problems, out);
      const w = await page.evaluate(() => document.querySelector(".qr__image").naturalWidth);
      assert(w > 0, "the QR code did not load");
      // choose two claims: the QR code and the share show only them
      const boxes = page.locator(".checkboxes__input");
      for (let i = 0; i < await boxes.count(); i++) await boxes.nth(i).setChecked(i < 2);
      await navigate(page, () => page.click("form[method=get] button"));
      assert((await page.locator(".checkboxes__input:checked").count()) === 2, "the choice is not kept");
      const share = await navigate(page, () => page.click("form[action$='/share'] button"));
      await looked(page, ctx, share, { name: "document-share" }, lang, problems, out);
      const code = (await page.textContent("#share-code")).trim();
      // a verifier, in another browser, opens the link and checks it
      const vctx = await newContext(browser, base, { lang });
      const v = await vctx.newPage();
      const vproblems = watch(v);
      await v.goto(`${base}/verify/${code}`, { waitUntil: "load" });
      assert((await v.inputValue("#code")) === code, "the link did not fill the code");
      const vresp = await navigate(v, () => v.click("button[value=code]"));
      await looked(v, vctx, vresp, { name: "verify-share-result" }, lang, vproblems, out);
      assert((await v.locator(".result--ok").count()) === 1, "the share was not accepted");
      assert((await v.locator(".summary div").count()) >= 1, "no details shown");
      // a screenshot of the document's QR code, sent from the verify page's file field
      const shot = await ctx.request.get(`${base}/api/v1/me/documents/${href.split("/")[3]}/presentation?format=png`);
      assert(shot.ok(), `presentation PNG: ${shot.status()}`);
      await v.goto(`${base}/verify`, { waitUntil: "load" });
      await v.setInputFiles("#image", { name: "qr.png", mimeType: "image/png", buffer: await shot.body() });
      const iresp = await navigate(v, () => v.click("form[action='/verify/image'] button"));
      await looked(v, vctx, iresp, { name: "verify-picture-result" }, lang, vproblems, out);
      assert((await v.locator(".result--ok").count()) === 1, "the picture was not accepted");
      await vctx.close();
      await ctx.close();
    }
  });

  test("offline: documents kept on the device, a fresh presentation by the device key, verified as the holder's", async ({ browser, base }) => {
    const ctx = await newContext(browser, base, { lang: "en" });
    const page = await ctx.newPage();
    await demoSignIn(page, base, citizens()[1]);
    const href = await firstDocument(page, base);
    await page.goto(base + href, { waitUntil: "load" });
    await page.waitForSelector("html[data-offline-ready=yes]", { timeout: 20000 });
    await page.evaluate(() => navigator.serviceWorker.ready);
    // once more under the worker's control, so that both pages are kept
    await page.goto(base + "/me/documents", { waitUntil: "load" });
    await page.goto(base + href, { waitUntil: "load" });
    assert(await page.evaluate(() => !!navigator.serviceWorker.controller), "no service worker in control");
    await ctx.setOffline(true);
    await page.goto(base + "/me/documents", { waitUntil: "load" });
    assert((await page.locator(".card").count()) >= 1, "offline: no documents");
    await page.goto(base + href, { waitUntil: "load" });
    await page.waitForSelector(".qr[data-presentation]", { timeout: 20000 });
    const text = await page.getAttribute(".qr", "data-presentation");
    assert(text.startsWith("PS1:"), `offline presentation: ${text.slice(0, 20)}`);
    assert((await page.getAttribute(".qr__image", "src")).startsWith("data:image/"), "no QR drawn offline");
    assert(await page.isVisible(".qr__offline"), "the offline note is not shown");
    await ctx.setOffline(false);
    const vctx = await newContext(browser, base, { lang: "en" });
    const v = await vctx.newPage();
    await v.goto(base + "/verify", { waitUntil: "load" });
    await v.fill("#qr", text);
    await navigate(v, () => v.click("button[value=qr]"));
    assert((await v.locator(".result--ok").count()) === 1, `offline presentation refused: ${await v.textContent(".checks")}`);
    assert((await v.textContent(".checks")).includes("Made on the holder’s own phone"), "holder not checked");
    await vctx.close();
    await ctx.close();
  });

  // An issuer's registrar changes a document's status: the demo official is made a registrar
  // of the ID cards' issuer (dmsu) through the operator's API for this test only, and the role
  // is revoked at its end (the later tests read the official's access records as the Pension
  // Fund's). The page and its error state are checked with axe; no status is changed.
  test("documents: an issuer's registrar finds a person's documents and opens a status change (axe) [uk, en]", async ({ browser, base, out, admin }) => {
    await withRole(base, admin(), "dmsu", official().rnokpp, "registrar", async () => {
      for (const lang of LANGS) {
        const ctx = await newContext(browser, base, { lang });
        const page = await ctx.newPage();
        await demoSignIn(page, base, official());
        const problems = watch(page);
        await page.goto(base + "/official/documents", { waitUntil: "load" });
        await page.fill("#rnokpp", citizens()[0].rnokpp);
        await page.fill("#purpose", "document check");
        await navigate(page, () => page.click("form[action='/official/documents'] button[type=submit]"));
        const link = page.locator("a[href^='/official/agencies/dmsu/documents/']").first();
        assert(await link.count() === 1, "no status link for a document the registrar's agency issues");
        const href = await link.getAttribute("href");
        const resp = await page.goto(base + href, { waitUntil: "load" });
        await looked(page, ctx, resp, { name: "document-status" }, lang, problems, out);
        // sent without a choice or a reason: the form says so, and nothing changes
        const err = await navigate(page, () => page.click("form[action^='/official/agencies/'] button[type=submit]"));
        assert(err.status() === 400, `empty status change: ${err.status()}`);
        await looked(page, ctx, err, { name: "error-document-status", status: 400, summary: true }, lang, problems, out);
        await ctx.close();
      }
    });
  });
}
