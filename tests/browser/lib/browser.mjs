// Debian's Chromium (package chromium, installed by scripts/deps.sh test) driven by
// playwright-core: never a downloaded browser. Each launch gets a fresh profile (Playwright
// creates a new --user-data-dir per launch). Without the background-networking flags Chromium
// tries to reach Google's services, which this machine's closed network refuses.
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.PS_CHROMIUM || "/usr/bin/chromium";

export const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60000 });
}

// A context in one language (Accept-Language from the locale), optionally dark, reduced
// motion, without JavaScript; every request it makes must go to base's origin.
export async function newContext(browser, base, opts = {}) {
  const ctx = await browser.newContext({
    locale: opts.lang === "en" ? "en-GB" : "uk-UA",
    viewport: opts.viewport || { width: 1280, height: 800 },
    colorScheme: opts.dark ? "dark" : "light",
    reducedMotion: opts.reducedMotion ? "reduce" : "no-preference",
    javaScriptEnabled: opts.javaScript !== false,
    deviceScaleFactor: 1,
  });
  const origin = new URL(base).origin;
  ctx.foreign = [];
  ctx.on("request", (req) => {
    const u = new URL(req.url());
    if (u.protocol !== "data:" && u.origin !== origin) ctx.foreign.push(req.url());
  });
  return ctx;
}

// Console errors and CSP violations of a page, collected while it lives.
export function watch(page) {
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  return problems;
}
