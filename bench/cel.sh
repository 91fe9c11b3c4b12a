#!/usr/bin/env bash
# CEL benchmark and its section in bench/results.md: evaluations per second of the eligibility
# expressions in bench/cel-exprs.txt through src/cel (bench/cel_bench.c) versus an independent
# CEL implementation from npm, @marcbachmann/cel-js (pinned in bench/cel-peer/package-lock.json,
# installed with `npm ci`), evaluating the same parsed expressions in the same run, both pinned
# to one core; plus parse+check time per expression. Target: >= 10x. Reports only; never fails
# on a ratio. Callable from `make bench`:   bench/cel.sh
#   CEL_BENCH_SECONDS=1 (per measurement)  CEL_BENCH_CPU=0 (the core both run on)
#   CEL_BENCH_ROUNDS=5 (ours and the peer alternate; the best round of each counts)
# Rates are per second of process CPU time, so that a shared machine's load does not count,
# measured after an untimed warm-up (a fifth of the measurement) on both sides.
#   CEL_BENCH_BUILD=build-bench (release, -Dtests=false, -Dwerror=false, as bench/run.sh)
#   CEL_BENCH_CALLGRIND=1 (with valgrind: our instructions per evaluation, counted by callgrind
#   over 20000 evaluations: a figure that a loaded machine does not move)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${CEL_BENCH_BUILD:-build-bench}
RESULTS=${BENCH_RESULTS:-bench/results.md}
SECS=${CEL_BENCH_SECONDS:-1}
ROUNDS=${CEL_BENCH_ROUNDS:-5}
CALLGRIND=${CEL_BENCH_CALLGRIND:-1}
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

# our instructions per evaluation (ps_cel_eval inclusive), one expression at a time
if [ "$CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
  for n in $(sed -nE 's/^RESULT ours name=([^ ]+) .*/\1/p' "$OUT" | awk '!seen[$0]++'); do
    cg=$(mktemp /tmp/ps-cel-cg.XXXXXX)
    CEL_BENCH_ONLY=$n CEL_BENCH_ITERATIONS=20000 valgrind --tool=callgrind --toggle-collect=ps_cel_eval \
      --callgrind-out-file="$cg" "$BUILD/bench/cel_bench" "$EXPRS" >/dev/null 2>&1 || true
    ir=$(sed -nE 's/^(summary|totals): ([0-9]+).*/\2/p' "$cg" | head -n 1)
    [ -n "$ir" ] && echo "RESULT ours name=$n instr_per_eval=$((ir / 20000))" >>"$OUT"
    rm -f "$cg"
  done
fi

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
  echo "Method. ours: src/cel ($BUILD, release), each expression compiled once, then per" \
       "evaluation ps_cel_eval with the activation and an arena reset. peer:" \
       "@marcbachmann/cel-js ${PEER_VERSION:-(not run)} on node $(node --version 2>/dev/null || echo '-')," \
       "parse() once, then the returned function on the context object. The same expressions" \
       "and context (bench/cel-exprs.txt, the context built by each side from the same CEL" \
       "literal). Both pinned to CPU $CPU of $(nproc), in batches of 1000 evaluations until" \
       "${SECS}s of process CPU time (every thread: the JIT and the collector count) after an" \
       "untimed warm-up of a fifth of that; ours and the peer alternate for $ROUNDS rounds, the" \
       "best round of each counts (a shared machine: rates are indicative; the instruction count" \
       "is ours under callgrind, reproducible). Target: >= 10x."
  echo
  echo "| expression | ours evals/s | peer evals/s | ratio | ours instr/eval | ours parse+check µs | peer parse µs | result (ours / peer) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  for n in $names; do
    o=$(field ours "$n" evals_per_s); p=$(field peer "$n" evals_per_s)
    i=$(field ours "$n" instr_per_eval)
    echo "| \`$n\` | $o | ${p:--} | $( [ -n "$p" ] && ratio "$o" "$p" || echo -)x | ${i:--} | $(field ours "$n" compile_us) | $(field peer "$n" parse_us) | $(field ours "$n" result) / $(field peer "$n" result) |"
  done
} >>"$RESULTS"
echo "cel.sh: appended to $RESULTS" >&2
