#!/usr/bin/env bash
# The whole test run: builds `build` (normal), `build-asan` (AddressSanitizer + UBSan) and
# `build-tsan` (ThreadSanitizer) and, in each, runs the Criterion unit tests, the HTTP tests
# against the real binary and (normal, asan) the fuzz corpus replay, the CEL conformance files
# and the checks of what was built (scripts/check_binary.py); then the PostgreSQL suite if
# scripts/pg-suite.sh exists. Prints one line per suite, details (logs) only on failure, and
# closes with exactly one line "N passed, N failed" counting individual test cases over every
# suite. Exits non-zero when anything failed or a suite could not run (a suite that could not
# run counts as one failed case).
#
# Once per run (with the first build): the layer checker (scripts/check_layers.py: module
# includes against src/layers.txt, files that depend on each other), the OpenAPI linter
# (scripts/lint-openapi.sh) and the portal in a real browser (scripts/browser-test.sh).
#
# Usage: scripts/test.sh [-b normal|asan|tsan]...
#                        [-s unit|http|fuzz|cel|checks|pg|layers|openapi|browser]... [-k PATTERN]
#   -b  builds to use (default: all three)  -s  suites to run (default: all)
#   -k  only HTTP tests whose name contains PATTERN (unittest -k)
# The tsan build runs the unit and HTTP suites only (its unit tests use the Criterion
# stand-in of tests/unit/tsan: Criterion cannot start under TSan).
# Environment: PS_TEST_JOBS (unit test processes and HTTP test classes at once, default 2); PS_BUILD_NORMAL,
# PS_BUILD_ASAN and PS_BUILD_TSAN (build directories, default build, build-asan, build-tsan).
# See docs/testing.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD

builds=() suites=() http_filter=()
while getopts "b:s:k:h" opt; do
  case $opt in
    b) builds+=("$OPTARG") ;;
    s) suites+=("$OPTARG") ;;
    k) http_filter+=(-k "$OPTARG") ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
[ ${#builds[@]} -eq 0 ] && builds=(normal asan tsan)
[ ${#suites[@]} -eq 0 ] && suites=(unit http fuzz cel checks pg layers openapi browser)
JOBS=${PS_TEST_JOBS:-2}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/scripts/lsan.supp:print_suppressions=0}
# A data race ends the process at once (a unit test fails, an HTTP test's server dies);
# scripts/tsan.supp lists the reports inside libraries, each with its reason.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/scripts/tsan.supp:print_suppressions=0}

TOTAL_PASS=0
TOTAL_FAIL=0
T0=$(date +%s)

# the seconds each suite takes are printed after its line (started by timed)
timed() { SUITE_T0=$(date +%s); "$@"; }

want_suite() { local s; for s in "${suites[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

# record LABEL PASSED FAILED [NOTE]
record() {
  TOTAL_PASS=$((TOTAL_PASS + $2))
  TOTAL_FAIL=$((TOTAL_FAIL + $3))
  local status=ok
  [ "$3" -gt 0 ] && status=FAIL
  local secs=$(( $(date +%s) - ${SUITE_T0:-$T0} ))
  printf '%-22s %-4s %5d passed, %d failed%s  [%d s]\n' "$1" "$status" "$2" "$3" "${4:+  ($4)}" \
    "$secs"
}

# broken LABEL LOGFILE MESSAGE: a suite that could not run counts as one failed case.
broken() {
  printf '%-22s %-4s could not run: %s\n' "$1" "ERR" "$3"
  show_log "$2"
  TOTAL_FAIL=$((TOTAL_FAIL + 1))
}

show_log() {
  [ -f "$1" ] || return 0
  echo "---- last lines of $1 ----"
  tail -n 60 "$1"
  echo "----"
}

# Compiler and meson errors of a build log (the whole log can be long).
show_build_errors() {
  [ -f "$1" ] || return 0
  echo "---- errors in $1 ----"
  grep -E -A3 '(^| )(error|ERROR|FAILED)[: ]' "$1" | head -n 60 || tail -n 40 "$1"
  echo "----"
}

# build_dir DIR MESONOPTS...: configure (once) and build; logs in DIR/test-logs.
build_dir() {
  local dir=$1; shift
  mkdir -p "$dir/test-logs"
  local log="$ROOT/$dir/test-logs/build.log"
  : >"$log"
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >>"$log" 2>&1 ||
      meson setup --reconfigure "$dir" "$@" >>"$log" 2>&1 || return 1
  else
    meson setup "$dir" "$@" >>"$log" 2>&1 || return 1
  fi
  ninja -C "$dir" >>"$log" 2>&1
}

# ---- suites ------------------------------------------------------------------------------

# Criterion unit tests through meson test; counts tests from each binary's Synthesis line.
suite_unit() {
  local dir=$1 label="unit[$2]" log="$ROOT/$1/test-logs/unit.log"
  rm -f "$dir/meson-logs/testlog.json"  # never count a previous run's results
  local mult=1
  [ "$2" = tsan ] && mult=3 # ThreadSanitizer runs several times slower
  meson test -C "$dir" --no-rebuild --num-processes "$JOBS" --timeout-multiplier "$mult" \
    --print-errorlogs >"$log" 2>&1
  local rc=$?
  local json="$dir/meson-logs/testlog.json"
  if grep -q "No tests defined" "$log"; then
    record "$label" 0 0 "no unit tests defined"
    return
  fi
  if [ ! -s "$json" ]; then
    broken "$label" "$log" "meson test wrote no $json (exit $rc)"
    return
  fi
  local counts
  counts=$(python3 "$ROOT/scripts/test_count.py" meson "$json") || {
    broken "$label" "$log" "cannot read $json"; return; }
  set -- $counts
  record "$label" "$1" "$2" "$3 test programs"
  if [ "$2" -gt 0 ] || [ $rc -ne 0 ]; then
    [ "$2" -eq 0 ] && TOTAL_FAIL=$((TOTAL_FAIL + 1)) && echo "meson test exited $rc"
    python3 "$ROOT/scripts/test_count.py" failures "$json"
    echo "(full log: $log)"
  fi
}

# HTTP tests (tests/http, Python unittest) against DIR/pocketstate.
suite_http() {
  local dir=$1 label="http[$2]" log="$ROOT/$1/test-logs/http.log"
  if [ ! -x "$dir/pocketstate" ]; then
    broken "$label" "" "$dir/pocketstate was not built"
    return
  fi
  rm -f "$dir"/test-logs/server-*.log  # the harness appends: start each run afresh
  PS_BIN="$ROOT/$dir/pocketstate" PS_TEST_LOGDIR="$ROOT/$dir/test-logs" \
    python3 "$ROOT/tests/http/run.py" -j "$JOBS" --log "$log" "${http_filter[@]}" >"$log.summary" 2>&1
  local rc=$?
  local line
  line=$(grep '^RESULT ' "$log.summary" | tail -n 1)
  if [ -z "$line" ]; then
    broken "$label" "$log.summary" "tests/http/run.py exited $rc without a result"
    return
  fi
  local p f s
  p=$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*skipped=([0-9]+).*/\1/' <<<"$line")
  record "$label" "$p" "$f" "$s skipped"
  if [ "$f" -gt 0 ]; then
    grep -v '^RESULT ' "$log.summary" | head -n 200
    echo "(full log: $log)"
  fi
}

# Replays fuzz/corpus/<target>/* through DIR/fuzz/fuzz_<target>_replay; one case per target.
suite_fuzz() {
  local dir=$1 label="fuzz-replay[$2]" log="$ROOT/$1/test-logs/fuzz.log"
  : >"$log"
  local targets
  targets=$(meson introspect --targets "$dir" 2>>"$log" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    n = t["name"]
    if n.startswith("fuzz_") and n.endswith("_replay"):
        print(n[len("fuzz_"):-len("_replay")])' 2>>"$log")
  if [ -z "$targets" ]; then
    broken "$label" "$log" "no fuzz_*_replay targets in $dir"
    return
  fi
  # every replay binary in one ninja run (in parallel), then each target's own build is a no-op
  # or names the target that does not build
  local want=() t
  for t in $targets; do want+=("fuzz/fuzz_${t}_replay"); done
  ninja -C "$dir" -k 0 "${want[@]}" >>"$log" 2>&1
  local pass=0 fail=0 inputs=0
  for t in $targets; do
    if [ ! -d "fuzz/corpus/$t" ]; then
      echo "fuzz target $t has no corpus fuzz/corpus/$t" >>"$log"
      fail=$((fail + 1)); continue
    fi
    if ! ninja -C "$dir" "fuzz/fuzz_${t}_replay" >>"$log" 2>&1; then
      echo "fuzz target $t: build failed" >>"$log"
      show_build_errors "$log"
      fail=$((fail + 1)); continue
    fi
    local out
    if out=$(timeout 300 "$dir/fuzz/fuzz_${t}_replay" "fuzz/corpus/$t" 2>>"$log"); then
      pass=$((pass + 1))
      inputs=$((inputs + $(sed -E 's/replay: ([0-9]+) .*/\1/' <<<"$out")))
    else
      echo "fuzz target $t: replay failed (rerun with -v to see the input)" >>"$log"
      fail=$((fail + 1))
    fi
  done
  record "$label" "$pass" "$fail" "$inputs inputs"
  [ "$fail" -gt 0 ] && show_log "$log"
}

# The cel-spec conformance files (tests/cel/testdata) through DIR/tests/cel/cel_conformance:
# one case per test that runs (tests needing protocol buffer messages are skipped, not counted);
# the per-file pass rates go to the log and are printed on failure.
suite_cel() {
  local dir=$1 label="cel-conformance[$2]" log="$ROOT/$1/test-logs/cel.log"
  if [ ! -x "$dir/tests/cel/cel_conformance" ]; then
    broken "$label" "" "$dir/tests/cel/cel_conformance was not built"
    return
  fi
  "$dir/tests/cel/cel_conformance" tests/cel/testdata/*.textproto >"$log" 2>&1
  local rc=$? line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    broken "$label" "$log" "cel_conformance exited $rc without a result line"
    return
  fi
  local p f s
  read -r p _ f _ s _ <<<"$line"
  record "$label" "$p" "$f" "$s skipped: need protocol buffers"
  [ "$2" = normal ] && grep -E '^[a-z0-9_]+\.textproto ' "$log" | sed 's/^/    /'
  if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
    [ "$f" -eq 0 ] && TOTAL_FAIL=$((TOTAL_FAIL + 1)) && echo "cel_conformance exited $rc"
    "$dir/tests/cel/cel_conformance" -v tests/cel/testdata/*.textproto 2>&1 | grep -A3 '^FAIL' | head -n 60
    echo "(full log: $log)"
  fi
}

# The checks of the built program (scripts/check_binary.py): test-only code is not in
# pocketstate, core keeps no undocumented state. One case per check.
suite_checks() {
  suite_script "checks[$2]" "$ROOT/$1/test-logs/checks.log" \
    python3 "$ROOT/scripts/check_binary.py" --build "$1"
}

# ---- PostgreSQL hook ---------------------------------------------------------------------
# Skipped unless scripts/pg-suite.sh exists. Contract for that script: called once as
#   scripts/pg-suite.sh BUILD_DIR
# it starts (and stops) its own PostgreSQL, and its last line of output is
# "N passed, N failed"; a non-zero exit without that line means it could not run.
suite_pg() {
  if [ ! -f scripts/pg-suite.sh ]; then
    printf '%-22s %-4s (scripts/pg-suite.sh not present)\n' "pg[$2]" "skip"
    return
  fi
  suite_script "pg[$2]" "$ROOT/$1/test-logs/pg.log" bash scripts/pg-suite.sh "$1"
}

# ---- once per run: layers and the OpenAPI linter --------------------------------------------

# suite_script LABEL LOG CMD...: a script whose last line is "N passed, N failed".
suite_script() {
  local label=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1
  local rc=$?
  local line
  line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    broken "$label" "$log" "$1 exited $rc without a result line"
    return
  fi
  local p f
  p=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed.*/\2/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  record "$label" "$p" "$f"
  if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
    [ "$f" -eq 0 ] && TOTAL_FAIL=$((TOTAL_FAIL + 1)) && echo "$1 exited $rc"
    show_log "$log"
  fi
}

# ---- main --------------------------------------------------------------------------------

for b in "${builds[@]}"; do
  case $b in
    normal) dir=${PS_BUILD_NORMAL:-build}; opts=(-Dsanitize=false -Dtsan=false -Dtests=true) ;;
    asan) dir=${PS_BUILD_ASAN:-build-asan}; opts=(-Dsanitize=true -Dtsan=false -Dtests=true) ;;
    tsan) dir=${PS_BUILD_TSAN:-build-tsan}; opts=(-Dsanitize=false -Dtsan=true -Dtests=true) ;;
    *) echo "unknown build $b (normal|asan|tsan)" >&2; exit 2 ;;
  esac
  t=$(date +%s)
  if ! build_dir "$dir" "${opts[@]}"; then
    broken "build[$b]" "" "meson/ninja failed"
    show_build_errors "$dir/test-logs/build.log"
    continue
  fi
  echo "build[$b]: $dir ready ($(( $(date +%s) - t )) s)"
  want_suite unit && timed suite_unit "$dir" "$b"
  want_suite http && timed suite_http "$dir" "$b"
  [ "$b" != tsan ] && want_suite fuzz && timed suite_fuzz "$dir" "$b"
  [ "$b" != tsan ] && want_suite cel && timed suite_cel "$dir" "$b"
  [ "$b" != tsan ] && want_suite checks && timed suite_checks "$dir" "$b"
  if want_suite pg && [ "$b" = "${builds[0]}" ] && [ "$b" != tsan ]; then
    timed suite_pg "$dir" "$b"
  fi
  if [ "$b" = "${builds[0]}" ]; then
    want_suite layers && timed suite_script "layers" "$dir/test-logs/layers.log" \
      python3 scripts/check_layers.py --build "$dir"
    want_suite openapi && timed suite_script "openapi-lint" "$dir/test-logs/openapi.log" \
      scripts/lint-openapi.sh
    want_suite browser && timed suite_script "browser" "$dir/test-logs/browser.log" \
      scripts/browser-test.sh "$dir"
  fi
done

echo "total time: $(( $(date +%s) - T0 )) s"
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ]
