// The portal's service worker (served at /sw.js, scope /): keeps the person's documents pages
// (and the holder's photo) and the static files on the device, so that with no network the phone still shows the
// documents and documents.js makes a fresh presentation with the device key. Pages are asked
// of the network first and the cached copy is used only when it cannot answer; static files
// (immutable, hashed URLs) come from the cache first. Signing out empties the pages' cache.
'use strict';
const PAGES = 'ps-pages-v1';
const STATIC = 'ps-static-v1';
const DOC_PAGE = /^\/me\/documents(\/[0-9a-f-]{36})?$/;
const PHOTO = /^\/api\/v1\/me\/documents\/[0-9a-f-]{36}\/photo$/;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

async function staticFile(req) {
  const cache = await caches.open(STATIC);
  const hit = await cache.match(req);
  if (hit) return hit;
  const resp = await fetch(req);
  if (resp.ok) await cache.put(req, resp.clone());
  return resp;
}

async function documentPage(req, path) {
  const cache = await caches.open(PAGES);
  try {
    const resp = await fetch(req);
    // a page of the signed-in person (not the sign-in page a redirect leads to)
    if (resp.ok && !resp.redirected) await cache.put(path, resp.clone());
    return resp;
  } catch (err) {
    const hit = await cache.match(path);
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'POST' && url.pathname === '/signout') {
    e.respondWith(caches.delete(PAGES).then(() => fetch(req)));
    return;
  }
  if (req.method !== 'GET') return;
  if (url.pathname.startsWith('/static/')) e.respondWith(staticFile(req));
  else if ((req.mode === 'navigate' && DOC_PAGE.test(url.pathname)) || PHOTO.test(url.pathname))
    e.respondWith(documentPage(req, url.pathname));
});
