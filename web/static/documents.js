// The documents pages: the QR code of a document is a presentation that lives 3 minutes
// (docs/internals/documents.md), so this asks the server for a fresh one every 150 seconds
// while the page is open. Without JavaScript the page's "Get a new QR code" link does the same.
'use strict';
(function () {
  const REFRESH_MS = 150 * 1000;
  const img = document.querySelector('.qr__image');
  if (!img) return;
  const base = img.getAttribute('src');
  let n = 0;
  setInterval(function () {
    n += 1;
    // a new URL each time: the browser must not show a cached, expired code
    img.setAttribute('src', base + '&n=' + n);
  }, REFRESH_MS);
})();
