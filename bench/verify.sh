#!/usr/bin/env bash
# Offline verification speed of PS1 presentations on one core (bench/verify_bench.c) against
#   (a) an independent peer verifying the same COSE_Sign1 in Node.js (bench/verify_peer.mjs:
#       cbor2 + @noble/curves, pinned in bench/package.json / package-lock.json, installed
#       here with `npm ci`), with Node's native crypto.verify as a second, informative figure;
#   (b) OpenSSL's bare EVP_DigestVerify of the same signature over the same bytes, in a loop.
# Targets: ours >= 2x the Node peer, ours >= 0.8x the bare limit. Reports only; never fails
# on a ratio. Appends a section to bench/results.md.
#   VERIFY_BENCH_SECONDS=3 VERIFY_BENCH_BUILD=build-bench bench/verify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${VERIFY_BENCH_BUILD:-build-bench}
SECONDS_EACH=${VERIFY_BENCH_SECONDS:-3}
RESULTS=${BENCH_RESULTS:-bench/results.md}
DIR=$(mktemp -d /tmp/ps-verify-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release -Dtests=false -Dwerror=false >/dev/null
fi
ninja -C "$BUILD" bench/verify_bench >/dev/null
command -v npm >/dev/null || { echo "verify.sh: npm is needed (Debian: nodejs npm)" >&2; exit 1; }
(cd bench && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
# one core each: the measurements run one after the other, pinned to CPU 0
taskset -c 0 "$BUILD/bench/verify_bench" "$DIR" "$SECONDS_EACH" | tee "$DIR/ours.txt"
(cd bench && taskset -c 0 node verify_peer.mjs "$DIR" "$SECONDS_EACH") | tee "$DIR/peer.txt"

field() { sed -nE "s/^RESULT $1 .*$2=([0-9.]+).*/\1/p" "$DIR"/*.txt | tail -n 1; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }
{
  echo
  echo "## PS1 offline verification: bench/verify.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "One core (taskset -c 0), ${SECONDS_EACH}s per figure (ours and bare interleaved), $BUILD (release);" \
       "$(openssl version | cut -d' ' -f1-2); Node $(node --version), @noble/curves and cbor2" \
       "as pinned in bench/package-lock.json; load average before: $LOAD ($(nproc) cores shared)." \
       "ours: psv_verify of a server-made presentation (base45, inflate, CBOR, COSE_Sign1," \
       "CWT, trust list, signature, claims JSON); bare: EVP_DigestVerify of the same signature" \
       "over the same Sig_structure; Node: the same layers in JavaScript." \
       "Targets: >= 2x the Node peer (noble), >= 0.8x bare."
  echo
  echo "| alg | ours /s | Node peer (noble) /s | ratio | Node native crypto /s | ratio | OpenSSL bare /s | ours / bare |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for a in es256 eddsa; do
    o=$(field $a ours); n=$(field $a 'node'); nn=$(field $a node_native); b=$(field $a bare)
    echo "| $a | $o | $n | $(ratio "$o" "$n") | $nn | $(ratio "$o" "$nn") | $b | $(ratio "$o" "$b") |"
  done
  echo
  echo "Offline holder presentation (issuer ES256 + holder ES256, two disclosures): $(field holder ours) /s." \
       "Everything but the signature (decoding, CWT, Sig_structure, lookup; an unknown kid):" \
       "$(field overhead us) µs per verification. ours and bare alternate in 50 ms slices."
} >>"$RESULTS"
for a in es256 eddsa; do
  echo "$a: $(ratio "$(field $a ours)" "$(field $a 'node')")x Node peer, $(ratio "$(field $a ours)" "$(field $a bare)")x bare"
done
echo "verify.sh: appended to $RESULTS" >&2
