// The JavaScript holder encoder (web/js/ps1-holder.js) against libpsverify: a non-extractable
// WebCrypto P-256 key, a credential issued for it by the C encoders (ps1_gen), a presentation
// made in JS, checked by `pocketstate verify`. Run by tests/http/test_verify.py:
//   node tests/verify/ps1_holder_test.mjs POCKETSTATE PS1_GEN TMPDIR
// Prints one line per check and "N passed, N failed"; exit 0 when all passed.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { holderPresentation } from '../../web/js/ps1-holder.js';

const [bin, gen, dir] = process.argv.slice(2);
const NOW = 1800000000; // FIX_NOW of the generator: 2027-01-15T08:00:00Z
let passed = 0, failed = 0;
const check = (name, ok, detail) => {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${ok ? '' : ': ' + detail}`);
};
const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => Uint8Array.from(Buffer.from(s.trim(), 'hex'));

function verify(qr, at) {
  const r = spawnSync(bin, ['verify', '--trust', `${dir}/trust.json`, '--root', `${dir}/root.jwk`,
                            '--at', new Date(at * 1000).toISOString(), '--json', qr], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout ? JSON.parse(r.stdout) : null, err: r.stderr };
}

const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
check('private key not extractable', pair.privateKey.extractable === false, 'extractable');
execFileSync(gen, [dir, hex(raw)]);
const credential = unhex(readFileSync(`${dir}/cred.hex`, 'utf8'));
const disclosures = readFileSync(`${dir}/disclosures.txt`, 'utf8').trim().split('\n').map(unhex);

// family_name and over_18 only
const qr = await holderPresentation({ credential, disclosures: [disclosures[0], disclosures[3]],
                                      key: pair.privateKey, now: NOW });
check('prefix', qr.startsWith('PS1:'), qr.slice(0, 10));
let r = verify(qr, NOW + 30);
check('valid', r.code === 0 && r.out.valid === true, JSON.stringify(r.out) + r.err);
check('claims', JSON.stringify(r.out.claims) === JSON.stringify({ family_name: 'Шевченко', over_18: true }),
      JSON.stringify(r.out.claims));
check('signature ok', r.out.signature === 'ok', r.out.signature);

r = verify(qr, NOW + 181);
check('outside the window', r.code === 1 && r.out.error.code === 'holder', JSON.stringify(r.out));

const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
const wrong = await holderPresentation({ credential, disclosures, key: other.privateKey, now: NOW });
r = verify(wrong, NOW);
check('wrong key', r.code === 1 && r.out.error.code === 'holder', JSON.stringify(r.out));

const all = await holderPresentation({ credential, disclosures, key: pair.privateKey, now: NOW });
r = verify(all, NOW);
check('all claims', r.code === 0 && Object.keys(r.out.claims).length === 4, JSON.stringify(r.out));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
