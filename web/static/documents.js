// The documents pages. A document's QR code is a presentation that lives 3 minutes
// (docs/internals/documents.md): online it is the server's, asked for again every 150 s
// (without JavaScript the page's "Get a new QR code" link does the same). Offline use: the
// page registers the service worker (/sw.js), and on a document's page it registers a device
// key for the document once, a non-extractable WebCrypto P-256 key kept in IndexedDB, bound
// to the document by the server (POST .../holder-key: the credential and one disclosure per
// claim come back and are kept with the key). With no network the page, served by the service
// worker, makes a fresh presentation of the chosen claims with that key (ps1-holder.js) and
// draws its QR code (Debian's qrcode-generator, loaded only then).
'use strict';
(function () {
  const REFRESH_MS = 150 * 1000;
  const DB = 'pocketstate', STORE = 'device-keys', STATIC = 'ps-static-v1';
  const root = document.documentElement;

  if ('serviceWorker' in navigator)
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});

  const box = document.querySelector('.qr');
  const img = box && box.querySelector('.qr__image');
  if (!img) return;
  const id = box.dataset.document;
  const claims = box.dataset.claims ? box.dataset.claims.split(',') : [];
  const base = img.getAttribute('src');

  function db() {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open(DB, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'id' });
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  async function kept(mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const tx = d.transaction(STORE, mode);
      const r = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(r.result);
      tx.onerror = () => reject(tx.error);
    });
  }
  const bytes = (b64url) => Uint8Array.from(atob(b64url.replace(/-/g, '+').replace(/_/g, '/')),
    (c) => c.charCodeAt(0));

  // Online, once per document: a device key, bound by the server, kept with the credential.
  async function register() {
    if (!window.crypto || !crypto.subtle || !window.indexedDB) return;
    const have = await kept('readonly', (s) => s.get(id));
    if (!have || have.expires_at < new Date().toISOString()) {
      const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false,
        ['sign']);
      const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
      const resp = await fetch('/api/v1/me/documents/' + id + '/holder-key', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } }),
      });
      if (!resp.ok) return;
      const c = await resp.json();
      await kept('readwrite', (s) => s.put({ id, key: pair.privateKey, credential: c.credential,
        disclosures: c.disclosures, expires_at: c.expires_at }));
    }
    if (window.caches) // what the offline page needs, before it is needed
      await (await caches.open(STATIC)).addAll([box.dataset.holder, box.dataset.qrcode]);
    root.dataset.offlineReady = 'yes';
  }

  function script(src) {
    return new Promise((resolve, reject) => {
      if (window.qrcode) return resolve();
      const s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = reject;
      document.head.append(s);
    });
  }

  // Offline: a fresh presentation made here, drawn as a QR code.
  async function offline() {
    const rec = window.indexedDB ? await kept('readonly', (s) => s.get(id)) : null;
    if (!rec) return;
    const { holderPresentation } = await import(box.dataset.holder);
    const chosen = rec.disclosures.filter((d) => claims.includes(d.claim));
    const text = await holderPresentation({ credential: bytes(rec.credential),
      disclosures: chosen.map((d) => bytes(d.disclosure)), key: rec.key });
    await script(box.dataset.qrcode);
    const q = window.qrcode(0, 'L');
    q.addData(text, 'Alphanumeric');
    q.make();
    img.src = q.createDataURL(4, 16);
    box.dataset.presentation = text;
    const note = document.querySelector('.qr__offline');
    if (note) note.hidden = false;
  }

  let n = 0;
  function refresh() {
    if (!navigator.onLine) {
      offline().catch(() => {});
      return;
    }
    n += 1; // a new URL each time: the browser must not show a cached, expired code
    img.src = base + '&n=' + n;
  }
  img.addEventListener('error', () => offline().catch(() => {}));
  setInterval(refresh, REFRESH_MS);
  if (navigator.onLine) register().catch(() => {});
  else offline().catch(() => {});
})();
