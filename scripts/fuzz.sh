#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz (ASan + UBSan, code instrumented for
# coverage) and runs each for FUZZ_SECONDS (default 60) on a scratch copy of its corpus; new
# inputs are left in build-fuzz/corpus-new/<target>/ and crashes in build-fuzz/crashes/.
# Usage: scripts/fuzz.sh [TARGET...]     (default: every fuzz_<name> target)
#   FUZZ_SECONDS=300 scripts/fuzz.sh router json
#   FUZZ_MERGE=1 also merges the new inputs that add coverage into fuzz/corpus/<target>/.
# Exits non-zero when a target crashed. See docs/testing.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
SECONDS_EACH=${FUZZ_SECONDS:-60}
DIR=build-fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ ! -f "$DIR/build.ninja" ]; then
  CC=clang meson setup "$DIR" -Dfuzzing=true -Dtests=false -Dsanitize=true -Dwerror=false \
    -Dc_args=-fsanitize=fuzzer-no-link >"/tmp/fuzz-setup.$$.log" 2>&1 ||
    { tail -n 30 "/tmp/fuzz-setup.$$.log"; rm -f "/tmp/fuzz-setup.$$.log"; exit 1; }
  rm -f "/tmp/fuzz-setup.$$.log"
fi
mkdir -p "$DIR/crashes"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(meson introspect --targets "$DIR" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    n = t["name"]
    if n.startswith("fuzz_") and not n.endswith("_replay"):
        print(n[len("fuzz_"):])')
fi
crashed=0
for t in "${targets[@]}"; do
  if ! ninja -C "$DIR" "fuzz/fuzz_$t" >"$DIR/build-$t.log" 2>&1; then
    echo "fuzz $t: build failed"; tail -n 30 "$DIR/build-$t.log"; crashed=1; continue
  fi
  new="$DIR/corpus-new/$t"
  mkdir -p "$new"
  log="$DIR/fuzz-$t.log"
  "$DIR/fuzz/fuzz_$t" "$new" "fuzz/corpus/$t" -max_total_time="$SECONDS_EACH" \
    -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$DIR/crashes/$t-" >"$log" 2>&1
  rc=$?
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
  if [ $rc -ne 0 ]; then
    crashed=1
    echo "fuzz $t: CRASH (exit $rc) after ${execs:-?} runs; artifacts in $DIR/crashes/"
    grep -E 'ERROR|SUMMARY|invariant|==[0-9]+==' "$log" | head -n 20
  else
    echo "fuzz $t: ok, ${execs:-?} runs in ${SECONDS_EACH}s, ${cov:-cov ?}, $(ls "$new" | wc -l) new inputs"
  fi
  if [ "${FUZZ_MERGE:-0}" = 1 ] && [ $rc -eq 0 ]; then
    "$DIR/fuzz/fuzz_$t" -merge=1 "fuzz/corpus/$t" "$new" >>"$log" 2>&1 &&
      echo "fuzz $t: merged into fuzz/corpus/$t ($(ls "fuzz/corpus/$t" | wc -l) files)"
  fi
done
exit $crashed
