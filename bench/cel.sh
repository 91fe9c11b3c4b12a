#!/usr/bin/env bash
# CEL benchmark and its section in bench/results.md: evaluations per second of the eligibility
# expressions in bench/cel-exprs.txt through src/cel (bench/cel_bench.c) versus an independent
# CEL implementation from npm, @marcbachmann/cel-js (pinned in bench/cel-peer/package-lock.json,
# installed with `npm ci`), evaluating the same parsed expressions in the same run, both pinned
# to one core; plus parse+check time per expression. Target: >= 10x. Reports only; never fails
# on a ratio. Callable from `make bench`:   bench/cel.sh
#   CEL_BENCH_SECONDS=1 (per measurement)  CEL_BENCH_CPU=0 (the core both run on)
#   CEL_BENCH_ROUNDS=3 (ours and the peer alternate; the best round of each counts)
# Rates are per second of process CPU time, so that a shared machine's load does not count.
#   CEL_BENCH_BUILD=build-bench (release, -Dtests=false, -Dwerror=false, as bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${CEL_BENCH_BUILD:-build-bench}
RESULTS=${BENCH_RESULTS:-bench/results.md}
SECS=${CEL_BENCH_SECONDS:-1}
ROUNDS=${CEL_BENCH_ROUNDS:-3}
CPU=${CEL_BENCH_CPU:-0}
EXPRS=bench/cel-exprs.txt
OUT=$(mktemp /tmp/ps-cel-bench.XXXXXX)
trap 'rm -f "$OUT"' EXIT

pin() { if command -v taskset >/dev/null; then taskset -c "$CPU" "$@"; else "$@"; fi; }

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release -Dtests=false -Dwerror=false >/dev/null
fi
ninja -C "$BUILD" bench/cel_bench >/dev/null

PEER_VERSION=""
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "cel.sh: node/npm missing: the peer is not measured" >&2
elif ! (cd bench/cel-peer && npm ci --silent --no-audit --no-fund >/dev/null 2>&1); then
  echo "cel.sh: npm ci failed (registry unreachable?): the peer is not measured" >&2
else
  PEER_VERSION=$(node -p 'require("./bench/cel-peer/node_modules/@marcbachmann/cel-js/package.json").version')
fi
for r in $(seq "$ROUNDS"); do
  echo "== round $r/$ROUNDS" >&2
  pin "$BUILD/bench/cel_bench" "$EXPRS" "$SECS" | tee -a "$OUT"
  if [ -n "$PEER_VERSION" ]; then
    (cd bench/cel-peer && pin node bench.mjs "../../$EXPRS" "$SECS") | tee -a "$OUT"
  fi
done

# the best round of a rate (the largest), the best of a time (the smallest), the last result
field() {
  local vals
  vals=$(sed -nE "s/^RESULT $1 name=$2 .*$3=([^ ]+).*/\1/p" "$OUT")
  [ -z "$vals" ] && return 0
  case $3 in
    evals_per_s) sort -g <<<"$vals" | tail -n 1 ;;
    *_us) sort -g <<<"$vals" | head -n 1 ;;
    *) tail -n 1 <<<"$vals" ;;
  esac
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.1f' % (a/b) if b else 'n/a')" "$1" "$2"; }
names=$(sed -nE 's/^RESULT ours name=([^ ]+) .*/\1/p' "$OUT" | awk '!seen[$0]++')
{
  echo
  echo "## CEL expressions: bench/cel.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "ours: src/cel ($BUILD, release), a program compiled once, evaluated with an activation" \
       "and an arena reset per evaluation; peer: @marcbachmann/cel-js ${PEER_VERSION:-(not run)}" \
       "on node $(node --version 2>/dev/null || echo '-'), parse() once then the returned" \
       "function; the same expressions and context (bench/cel-exprs.txt), both pinned to CPU" \
       "$CPU of $(nproc); rates per second of process CPU time, best of $ROUNDS alternating" \
       "rounds of ${SECS}s (a shared machine: indicative). Target: >= 10x."
  echo
  echo "| expression | ours evals/s | peer evals/s | ratio | ours parse+check µs | peer parse µs | result (ours / peer) |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  for n in $names; do
    o=$(field ours "$n" evals_per_s); p=$(field peer "$n" evals_per_s)
    echo "| \`$n\` | $o | ${p:--} | $( [ -n "$p" ] && ratio "$o" "$p" || echo -)x | $(field ours "$n" compile_us) | $(field peer "$n" parse_us) | $(field ours "$n" result) / $(field peer "$n" result) |"
  done
} >>"$RESULTS"
echo "cel.sh: appended to $RESULTS" >&2
