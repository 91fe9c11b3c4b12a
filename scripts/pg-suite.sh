#!/usr/bin/env bash
# The PostgreSQL suite: starts a private PostgreSQL 15 (scripts/pg.sh), then runs against it
# (1) every unit test binary that honours PS_TEST_DB, (2) tests/pg (schema equivalence of the
# two migration dialects, durability across a server restart under write load, two serve
# processes on one database), (3) the HTTP suite with every server on PostgreSQL; stops the
# server and ends with one line "N passed, N failed" (the contract of scripts/test.sh).
#
# Usage: scripts/pg-suite.sh [BUILD_DIR]     (default: build; it must be built already)
# Environment: PS_PG_KEEP=1 keeps the cluster directory for inspection.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PASS=0
FAIL=0

line() { printf '  %-28s %5d passed, %d failed%s\n' "$1" "$2" "$3" "${4:+  ($4)}"; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/pocketstate-pg.XXXXXX")
cleanup() {
  if [ "${PS_PG_KEEP:-}" = 1 ]; then
    scripts/pg.sh stop "$DIR" fast >/dev/null 2>&1
    echo "  (cluster kept in $DIR)"
  else
    scripts/pg.sh destroy "$DIR" >/dev/null 2>&1
    rm -f "$DIR".*.log "$DIR".*.log.summary
  fi
}
trap cleanup EXIT
# fsync off: a commit still reaches the operating system before it is acknowledged, so the
# server crashes the tests cause lose nothing acknowledged (scripts/pg.sh says more)
if ! URL=$(PS_PG_FSYNC=off scripts/pg.sh start "$DIR" 2>"$DIR.err"); then
  cat "$DIR.err"; rm -f "$DIR.err"
  echo "pg-suite: could not start PostgreSQL"
  exit 1
fi
rm -f "$DIR.err"
echo "  PostgreSQL $(psql -X -At -d "$URL" -c 'SHOW server_version') at $URL"
export PS_TEST_DB=$URL PS_PG_DIR=$DIR PS_BUILD=$BUILD

# (1) Criterion binaries that read PS_TEST_DB (found by the string in the binary).
for bin in "$BUILD"/tests/unit/*_test; do
  [ -x "$bin" ] || continue
  grep -q PS_TEST_DB "$bin" || continue
  name=$(basename "$bin")
  out=$("$bin" -j2 2>&1)
  rc=$?
  synth=$(grep -E 'Synthesis: Tested: [0-9]+' <<<"$out" | tail -n 1)
  if [ -z "$synth" ]; then
    line "unit $name" 0 1 "no Synthesis line, exit $rc"
    FAIL=$((FAIL + 1)); tail -n 40 <<<"$out"; continue
  fi
  tested=$(sed -E 's/.*Tested: ([0-9]+).*/\1/' <<<"$synth")
  passing=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$synth")
  failed=$((tested - passing))
  [ $failed -eq 0 ] && [ $rc -ne 0 ] && failed=1
  PASS=$((PASS + passing)); FAIL=$((FAIL + failed))
  line "unit $name" "$passing" "$failed"
  [ $failed -gt 0 ] && grep -E '\[(FAIL|----)\]|Assertion|error' <<<"$out" | head -n 40
done

# (2) and (3): Python suites that print "RESULT passed=N failed=N skipped=N".
py_suite() {
  local label=$1; shift
  local log="$DIR.${label//[^a-z]/_}.log"
  "$@" --log "$log" >"$log.summary" 2>&1
  local rc=$?
  local res
  res=$(grep '^RESULT ' "$log.summary" | tail -n 1)
  if [ -z "$res" ]; then
    line "$label" 0 1 "no RESULT line, exit $rc"
    FAIL=$((FAIL + 1)); tail -n 40 "$log.summary"; return
  fi
  local p f s
  p=$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$res")
  f=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$res")
  s=$(sed -E 's/.*skipped=([0-9]+).*/\1/' <<<"$res")
  PASS=$((PASS + p)); FAIL=$((FAIL + f))
  line "$label" "$p" "$f" "$s skipped"
  [ "$f" -gt 0 ] && grep -v '^RESULT ' "$log.summary" | head -n 120
  rm -f "$log" "$log.summary"
}
py_suite "tests/pg" python3 tests/pg/run.py
if [ -x "$BUILD/pocketstate" ] && [ -f tests/http/run.py ]; then
  PS_BIN=$BUILD/pocketstate PS_TEST_LOGDIR=$BUILD/test-logs/pg-http \
    py_suite "http on postgres" python3 tests/http/run.py -j "${PS_TEST_JOBS:-2}"
else
  line "http on postgres" 0 1 "$BUILD/pocketstate or tests/http/run.py missing"
  FAIL=$((FAIL + 1))
fi

echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
