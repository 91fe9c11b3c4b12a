// The server under test: `pocketstate demo` in a fresh data directory on a free loopback port
// (one the kernel just gave us: the demo's relying party is http://localhost:PORT, so the port
// must be known before it starts), stopped with SIGTERM at the end; a non-zero exit (a leak
// under ASan, a crash) is a failure.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export async function startServer(bin, { citizens = 100, logDir = null, timeoutMs = 60000 } = {}) {
  const data = mkdtempSync(join(tmpdir(), "ps-browser-"));
  const logPath = join(logDir || data, "server-browser.log");
  const log = openSync(logPath, "a");
  const listen = `127.0.0.1:${await freePort()}`;
  const proc = spawn(bin, ["demo", "--data", join(data, "d"), "--listen", listen,
                           "--citizens", String(citizens)],
                     { stdio: ["ignore", "pipe", log] });
  let out = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms (${logPath})`)), timeoutMs);
    proc.stdout.on("data", (chunk) => {
      out += chunk.toString();
      const m = out.match(/url:\s+(http:\/\/[a-z0-9.]+:(\d+))/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited ${code} before it listened (${logPath})`)); });
  });
  proc.stdout.resume();
  const port = Number(new URL(url).port);
  await waitReady(`${url}/readyz`, timeoutMs);
  return {
    port,
    // WebAuthn needs a domain as relying party id: the pages are opened as localhost
    // (a secure context, like 127.0.0.1), which Chromium resolves to the loopback itself.
    base: `http://localhost:${port}`,
    logPath,
    // the operator's bearer token (DIR/admin.token), for the few setups no page can make
    adminToken: () => readFileSync(join(data, "d", "admin.token"), "utf8").trim(),
    async stop() {
      const code = await new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        const timer = setTimeout(() => proc.kill("SIGKILL"), 30000);
        proc.on("exit", (c, sig) => { clearTimeout(timer); resolve(c === null ? sig : c); });
        proc.kill("SIGTERM");
      });
      closeSync(log);
      if (code === 0) rmSync(data, { recursive: true, force: true });
      return code;
    },
  };
}

async function waitReady(url, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not yet */ }
    if (Date.now() > until) throw new Error(`${url} not ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Runs fn while rnokpp holds role at agency, granted and then revoked through the operator's
// API with token (the setups no page makes: a demo official acting for another agency).
export async function withRole(base, token, agency, rnokpp, role, fn) {
  const api = (method, path, body) => fetch(base + path, {
    method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined });
  const granted = await api("POST", `/api/v1/agencies/${agency}/roles`,
                            { rnokpp, role, reason: "browser test" });
  if (granted.status !== 201) throw new Error(`role grant at ${agency}: ${granted.status}`);
  const { id } = await granted.json();
  try {
    return await fn();
  } finally {
    const gone = await api("DELETE", `/api/v1/agencies/${agency}/roles/${id}?reason=end%20of%20the%20browser%20test`);
    if (gone.status !== 204) throw new Error(`role revoke at ${agency}: ${gone.status}`);
  }
}
