// The phone's offline presentation end to end: a non-extractable WebCrypto P-256 key is bound
// to a document over the API (POST /api/v1/me/documents/{id}/holder-key), the credential it
// returns is kept, web/js/ps1-holder.js makes a presentation of chosen claims with no network,
// and `pocketstate verify` accepts it with the server's trust list. Run by
// tests/http/test_documents.py:
//   node tests/http/documents_holder.mjs POCKETSTATE BASE_URL TOKEN DOCUMENT_ID DIR
// (DIR holds trust.json and root.jwk.) Prints one line per check and "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { holderPresentation } from '../../web/js/ps1-holder.js';

const [bin, base, token, id, dir] = process.argv.slice(2);
let passed = 0, failed = 0;
const check = (name, ok, detail) => {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${ok ? '' : ': ' + detail}`);
};
const b64u = (s) => Uint8Array.from(Buffer.from(s, 'base64url'));

function verify(qr) {
  const r = spawnSync(bin, ['verify', '--trust', `${dir}/trust.json`, '--root', `${dir}/root.jwk`,
                            '--json', qr], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout ? JSON.parse(r.stdout) : null, err: r.stderr };
}

const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false,
                                             ['sign', 'verify']);
check('private key not extractable', pair.privateKey.extractable === false, 'extractable');
const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
const res = await fetch(`${base}/api/v1/me/documents/${id}/holder-key`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
  body: JSON.stringify({ jwk }),
});
const body = await res.json();
check('bound', res.status === 200 && typeof body.credential === 'string', JSON.stringify(body));
const credential = b64u(body.credential);
const names = body.disclosures.map((d) => d.claim);
const pick = ['given_name', 'rnokpp'].filter((n) => names.includes(n));
const disclosures = body.disclosures.filter((d) => pick.includes(d.claim))
                                    .map((d) => b64u(d.disclosure));
check('disclosures for the chosen claims', disclosures.length === pick.length && pick.length > 0,
      names.join(','));

const qr = await holderPresentation({ credential, disclosures, key: pair.privateKey });
let r = verify(qr);
check('valid offline', r.code === 0 && r.out.valid === true && r.out.signature === 'ok',
      JSON.stringify(r.out) + r.err);
check('only the chosen claims', r.out && JSON.stringify(Object.keys(r.out.claims).sort()) ===
      JSON.stringify([...pick].sort()), JSON.stringify(r.out && r.out.claims));

const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
r = verify(await holderPresentation({ credential, disclosures, key: other.privateKey }));
check('another device key is refused', r.code === 1 && r.out.error.code === 'holder',
      JSON.stringify(r.out));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
