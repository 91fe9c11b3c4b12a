// PS1 offline presentations made by the phone (docs/formats/ps1.md, "Holder presentation").
// Vanilla ES module for the browser (and Node.js >= 18, which has the same globals):
// WebCrypto ECDSA P-256 signatures (raw r||s), CompressionStream('deflate') for zlib, and a
// small CBOR encoder and base45 encoder written here. No dependencies.
//
//   import { holderPresentation } from './ps1-holder.js';
//   const qr = await holderPresentation({ credential, disclosures, key, now });
//
// credential: Uint8Array, the issuer-signed COSE_Sign1 received at issuance;
// disclosures: Uint8Array[] of the claims to reveal (as received at issuance);
// key: the non-extractable CryptoKey (ECDSA P-256 private key) registered at issuance;
// now: Unix seconds (default: the device clock). Returns "PS1:..." (valid 180 s).

const LIFETIME = 180;
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

// ---- CBOR (RFC 8949), only what the holder part needs: shortest heads, definite lengths --

function head(out, major, n) {
  const m = major << 5;
  if (n < 24) out.push(m | n);
  else if (n < 0x100) out.push(m | 24, n);
  else if (n < 0x10000) out.push(m | 25, n >> 8, n & 0xff);
  else if (n < 0x100000000) out.push(m | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  else {
    const hi = Math.floor(n / 0x100000000), lo = n >>> 0;
    out.push(m | 27, hi >>> 24, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff,
             lo >>> 24, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff);
  }
}

// Encodes integers, strings, Uint8Arrays, arrays, Maps (keys in insertion order), booleans,
// and {tag, value} objects.
export function cborEncode(value, out = []) {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error('only safe integers');
    if (value >= 0) head(out, 0, value); else head(out, 1, -1 - value);
  } else if (typeof value === 'string') {
    const b = new TextEncoder().encode(value);
    head(out, 3, b.length);
    for (const x of b) out.push(x);
  } else if (value instanceof Uint8Array) {
    head(out, 2, value.length);
    for (const x of value) out.push(x);
  } else if (Array.isArray(value)) {
    head(out, 4, value.length);
    for (const v of value) cborEncode(v, out);
  } else if (value instanceof Map) {
    head(out, 5, value.size);
    for (const [k, v] of value) { cborEncode(k, out); cborEncode(v, out); }
  } else if (typeof value === 'boolean') {
    out.push(value ? 0xf5 : 0xf4);
  } else if (value && typeof value.tag === 'number') {
    head(out, 6, value.tag);
    cborEncode(value.value, out);
  } else {
    throw new Error('cannot encode ' + typeof value);
  }
  return out;
}

const bytes = (v) => Uint8Array.from(cborEncode(v));

// ---- base45 (RFC 9285) -------------------------------------------------------------------

export function base45Encode(data) {
  let s = '';
  for (let i = 0; i + 1 < data.length; i += 2) {
    const v = data[i] * 256 + data[i + 1];
    s += B45[v % 45] + B45[Math.floor(v / 45) % 45] + B45[Math.floor(v / 2025)];
  }
  if (data.length % 2) {
    const v = data[data.length - 1];
    s += B45[v % 45] + B45[Math.floor(v / 45)];
  }
  return s;
}

// ---- zlib (RFC 1950) through CompressionStream('deflate') ----------------------------------

export async function zlibCompress(data) {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

// COSE_Sign1 (tag 18) with protected {1: -7}, signed by key (ECDSA P-256, SHA-256). WebCrypto
// returns the raw r||s form COSE wants.
export async function sign1(payload, key) {
  const prot = bytes(new Map([[1, -7]]));
  const tbs = bytes(['Signature1', prot, new Uint8Array(0), payload]);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, tbs));
  return { tag: 18, value: [prot, new Map(), payload, sig] };
}

export async function holderPresentation({ credential, disclosures, key, now }) {
  const iat = now ?? Math.floor(Date.now() / 1000);
  const claims = new Map([[6, iat], [4, iat + LIFETIME], ['ch', await sha256(credential)]]);
  const h = await sign1(bytes(claims), key);
  const top = bytes(new Map([['c', credential], ['d', disclosures], ['h', h]]));
  return 'PS1:' + base45Encode(await zlibCompress(top));
}
