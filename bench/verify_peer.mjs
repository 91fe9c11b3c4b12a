// The independent peer of bench/verify.sh: verifies the same PS1 presentations in Node.js the
// way a JavaScript verifier would - base45 (by hand, as there is no standard one), zlib
// (node:zlib), CBOR (cbor2), the COSE Sig_structure, the signature with @noble/curves (P-256
// ECDSA with SHA-256, Ed25519), then the CWT claims' validity window. Also a second figure
// with Node's native crypto.verify (OpenSSL inside Node) for the signature, for context.
//   node bench/verify_peer.mjs DIR SECONDS    (DIR: es256.txt/.jwk, eddsa.txt/.jwk)
// Prints "RESULT <case> node=<per s> node_native=<per s>".
import { readFileSync } from 'node:fs';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { decode, encode } from 'cbor2';

const [dir, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 3);
const NOW = 1800000010;
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const B45V = new Map([...B45].map((c, i) => [c, i]));
const DEC = { preferMap: true };

function base45Decode(s) {
  const out = new Uint8Array(Math.floor(s.length / 3) * 2 + (s.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < s.length; i += 3) {
    const a = B45V.get(s[i]), b = B45V.get(s[i + 1]);
    if (i + 2 < s.length) {
      const v = a + b * 45 + B45V.get(s[i + 2]) * 2025;
      if (!(v <= 65535)) throw new Error('base45');
      out[o++] = v >> 8; out[o++] = v & 0xff;
    } else {
      const v = a + b * 45;
      if (!(v <= 255)) throw new Error('base45');
      out[o++] = v;
    }
  }
  return out;
}

const b64u = (s) => Uint8Array.from(Buffer.from(s, 'base64url'));

function load(name) {
  const jwk = JSON.parse(readFileSync(`${dir}/${name}.jwk`, 'utf8'));
  const pub = jwk.kty === 'EC' ? Uint8Array.from([4, ...b64u(jwk.x), ...b64u(jwk.y)]) : b64u(jwk.x);
  return { qr: readFileSync(`${dir}/${name}.txt`, 'utf8'), pub, alg: jwk.kty === 'EC' ? -7 : -8,
           native: createPublicKey({ key: jwk, format: 'jwk' }) };
}

// One verification: every layer, like psv_verify. sigCheck gets (alg, tbs, sig).
function verifyOnce(t, sigCheck) {
  if (!t.qr.startsWith('PS1:')) throw new Error('prefix');
  // a plain Uint8Array (cbor2 would encode a decoded Buffer as its JSON form)
  const cose = decode(new Uint8Array(inflateSync(base45Decode(t.qr.slice(4)))), DEC);
  const [prot, , payload, sig] = cose.tag === 18 ? cose.contents : cose;
  const hdr = decode(prot, DEC);
  if (hdr.get(1) !== t.alg || !hdr.get(4)) throw new Error('header');
  const tbs = encode(['Signature1', prot, new Uint8Array(0), payload]);
  if (!sigCheck(t, tbs, sig)) throw new Error('signature');
  const claims = decode(payload, DEC);
  if (!(claims.get(4) > NOW && claims.get(6) <= NOW + 60)) throw new Error('validity');
  return claims.get('claims');
}

const noble = (t, tbs, sig) => t.alg === -7
  ? p256.verify(sig, tbs, t.pub, { lowS: false })
  : ed25519.verify(sig, tbs, t.pub);
const native = (t, tbs, sig) => t.alg === -7
  ? nodeVerify('sha256', tbs, { key: t.native, dsaEncoding: 'ieee-p1363' }, sig)
  : nodeVerify(null, tbs, t.native, sig);

function rate(t, check) {
  verifyOnce(t, check);
  let n = 0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  do {
    for (let i = 0; i < 16; i++) verifyOnce(t, check);
    n += 16;
    el = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (el < seconds);
  return n / el;
}

for (const name of ['es256', 'eddsa']) {
  const t = load(name);
  console.log(`RESULT ${name} node=${rate(t, noble).toFixed(0)} node_native=${rate(t, native).toFixed(0)}`);
}
