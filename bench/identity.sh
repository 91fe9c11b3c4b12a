#!/usr/bin/env bash
# Identity benchmarks (issue 9), appended to bench/results.md:
#  1. complete passkey sign-ins per second over HTTP (options + assertion, ES256, the
#     benchmark's own software authenticator signing; bench/signin_bench.c), against OpenSSL
#     verifying ES256 on one core (the peer: the one public-key operation a sign-in needs);
#     target >= 2,000/s;
#  2. GET /api/v1/me with a session token against nginx serving the same bytes as a static file
#     (wrk, 64 connections); target >= 0.5x, p99 < 5 ms. The read costs no durable write.
# Rate limits are off for the run (config rate_limits = 0): they are per address, and the load
# comes from one. Environment: BENCH_CITIZENS (default 100000), BENCH_DURATION (10s),
# BENCH_CONNS (64), BENCH_THREADS (2), BENCH_SIGNIN_THREADS (8).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. bench/common.bash
CITIZENS=${BENCH_CITIZENS:-100000}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_THREADS:-2}
SIGNIN_THREADS=${BENCH_SIGNIN_THREADS:-8}
BUILD=build-bench
RESULTS=${BENCH_RESULTS:-bench/results.md}
WORK=$(mktemp -d /tmp/ps-bench-id.XXXXXX)
chmod 755 "$WORK"
PS_PID="" NGINX_PID=""

cleanup() {
  [ -n "$PS_PID" ] && kill -TERM "$PS_PID" 2>/dev/null && wait "$PS_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# wrk_run URL TOKEN -> RPS P99_MS (stdout)
wrk_run() {
  BENCH_TOKEN=$2 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
    -s "$ROOT/bench/paths.lua" "$1" -- - "$3" >"$WORK/wrk.txt" 2>&1
  python3 - "$WORK/wrk.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
print("%.0f %.2f %d" % (rps, p99, int(bad.group(1)) if bad else 0))
PY
}

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release -Dwerror=false >"$WORK/setup.log" 2>&1
fi
meson configure "$BUILD" --buildtype=release -Dtests=true -Dwerror=false >/dev/null
ninja -C "$BUILD" pocketstate bench/signin_bench tests/tools/ps_authn >"$WORK/build.log" 2>&1 ||
  { tail -n 30 "$WORK/build.log"; exit 1; }

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
"$BUILD/pocketstate" init --data "$WORK/data" >/dev/null
python3 - "$WORK/data/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["rate_limits"] = {k: 0 for k in ("auth_per_ip_per_minute", "auth_per_account_per_minute",
                                   "api_per_account_per_second", "api_per_client_per_second")}
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
echo "bench identity: loading $CITIZENS citizens ..."
"$BUILD/pocketstate" demo --data "$WORK/data" --citizens "$CITIZENS" --listen "127.0.0.1:$PORT" \
  >"$WORK/ps.log" 2>&1 &
PS_PID=$!
wait_http "$URL/readyz" 600 || { tail -n 20 "$WORK/ps.log"; exit 1; }
TOKEN=$(cat "$WORK/data/admin.token")
python3 - "$WORK/data/pocketstate.db" "$WORK/people.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=30)
rows = db.execute("SELECT rnokpp, birth_date FROM persons WHERE status = 'alive' "
                  "AND birth_date < '2005-01-01' LIMIT 64").fetchall()
open(sys.argv[2], "w").write("".join("%s %s\n" % r for r in rows))
PY

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench identity: sign-ins ($SIGNIN_THREADS client threads, 10 s)"
"$BUILD/bench/signin_bench" "$URL" "$TOKEN" "$WORK/people.txt" "$SIGNIN_THREADS" 10 \
  >"$WORK/signin.txt"
cat "$WORK/signin.txt"
SIGNINS=$(awk '/^signins\/s/ {print $2}' "$WORK/signin.txt")
SIGNIN_P99=$(awk '/^p99_ms/ {print $2}' "$WORK/signin.txt")
PEER_VERIFY=$(awk '/^peer_verify\/s/ {print $2}' "$WORK/signin.txt")

# a session for /me: enrol the first person with the software authenticator
read -r R B < <(head -n 1 "$WORK/people.txt")
CODE=$(curl -s -XPOST -H "Authorization: Bearer $TOKEN" \
  "$URL/api/v1/registry/persons/$R/activation-codes" | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
curl -s -H 'Content-Type: application/json' \
  -d "{\"rnokpp\":\"$R\",\"birth_date\":\"$B\",\"activation_code\":\"$CODE\"}" \
  "$URL/api/v1/auth/enrol/options" |
  "$BUILD/tests/tools/ps_authn" create --key "$WORK/me.key" --origin "http://localhost:$PORT" \
    >"$WORK/reg.json"
SESSION=$(curl -s -H 'Content-Type: application/json' --data-binary @"$WORK/reg.json" \
  "$URL/api/v1/auth/enrol" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -s -H "Authorization: Bearer $SESSION" "$URL/api/v1/me" -o "$WORK/me.json"
BYTES=$(wc -c <"$WORK/me.json")

nginx_static "$WORK/me.json" application/json

echo "bench identity: GET /api/v1/me vs nginx ($CONNS connections, $DURATION)"
read -r ME_RPS ME_P99 ME_BAD < <(wrk_run "$URL" "$SESSION" /api/v1/me)
read -r NG_RPS NG_P99 _ < <(wrk_run "http://127.0.0.1:$NGINX_PORT" "" /me.json)
RATIO=$(python3 -c "print('%.2f' % ($ME_RPS / $NG_RPS))")
SRATIO=$(python3 -c "print('%.3f' % ($SIGNINS / $PEER_VERIFY))")
echo "  GET /api/v1/me: $ME_RPS req/s p99 $ME_P99 ms (non-2xx $ME_BAD); nginx $NG_RPS req/s p99 $NG_P99 ms: ${RATIO}x"
echo "  sign-ins: $SIGNINS/s p99 $SIGNIN_P99 ms; OpenSSL ES256 verify on one core $PEER_VERIFY/s: ${SRATIO}x"

SECTION="$WORK/section.md"
{
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC') identity (bench/identity.sh)"
  echo
  echo "- machine: $(nproc) cores; load average before the run: $LOADAVG; $BUILD (release), demo with $CITIZENS citizens (SQLite); client and server on the same cores"
  echo
  echo "| scenario | ours | p99 ms | peer | peer figure | ratio | target |"
  echo "|---|---|---|---|---|---|---|"
  echo "| passkey sign-ins (options + ES256 assertion), $SIGNIN_THREADS client threads | $SIGNINS/s | $SIGNIN_P99 | OpenSSL ES256 verify, one core | $PEER_VERIFY/s | ${SRATIO}x | >= 2,000/s: $(python3 -c "print('met' if $SIGNINS >= 2000 else 'not met')") |"
  echo "| GET /api/v1/me (session token, $BYTES bytes), $CONNS connections | $ME_RPS req/s | $ME_P99 | nginx static file, same bytes | $NG_RPS req/s (p99 $NG_P99 ms) | ${RATIO}x | >= 0.5x, p99 < 5 ms: $(python3 -c "print('met' if $RATIO >= 0.5 and $ME_P99 < 5 else 'not met')") |"
  echo
} >"$SECTION"
if [ -f "$RESULTS" ]; then
  python3 - "$RESULTS" "$SECTION" <<'PY'
import sys
results, section = sys.argv[1], open(sys.argv[2]).read()
text = open(results).read()
i = text.find("\n## ")
text = text + "\n" + section if i < 0 else text[:i + 1] + section + text[i + 1:]
open(results, "w").write(text)
PY
else
  cp "$SECTION" "$RESULTS"
fi
echo "bench identity: results added to $RESULTS"
