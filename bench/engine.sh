#!/usr/bin/env bash
# Service engine benchmarks (issue 13), appended to bench/results.md:
#  1. FOP registration end to end over HTTP: POST /api/v1/applications with submit, each a
#     different citizen with a session (bench/engine_bench.c mint), every one running the
#     eligibility, validation, the registry entry with its details, the extract issued (the
#     registries' hook issues it, the outcome's ps_docs_outcome_issue finds it in force), the
#     inbox message, the history and the change entries, committed (group
#     commit, full durability) before the 201. wrk (bench/fop.lua), BENCH_CONNS connections,
#     on SQLite and on PostgreSQL (scripts/pg.sh); requests/s, p50, p99. Peer, same run:
#     nginx serving the 201's bytes as a static file (what HTTP alone costs here).
#     Targets (issue): SQLite p50 < 5 ms and >= 2,000 registrations/s.
#  2. The engine's overhead: the FOP definition's eligibility and validation evaluated by the
#     engine against the same checks hand-written in C (engine_bench eval); target >= 0.5x.
# Environment: BENCH_CITIZENS (default 60000), BENCH_DURATION (5s), BENCH_CONNS (32),
# BENCH_THREADS (2), BENCH_NO_PG=1 to skip PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. bench/common.bash
CITIZENS=${BENCH_CITIZENS:-60000}
DURATION=${BENCH_DURATION:-5s}
CONNS=${BENCH_CONNS:-32}
THREADS=${BENCH_THREADS:-2}
BUILD=build-bench
RESULTS=${BENCH_RESULTS:-bench/results.md}
WORK=$(mktemp -d /tmp/ps-bench-engine.XXXXXX)
chmod 755 "$WORK"
PGDIR=""
PS_PID="" NGINX_PID=""

cleanup() {
  [ -n "$PS_PID" ] && kill -TERM "$PS_PID" 2>/dev/null && wait "$PS_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  [ -n "$PGDIR" ] && scripts/pg.sh destroy "$PGDIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# wrk_stats FILE -> RPS P50_MS P99_MS NON2XX
wrk_stats() {
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
def pct(p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, t, re.M)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
print("%.0f %.2f %.2f %d" % (rps, pct(50), pct(99), int(bad.group(1)) if bad else 0))
PY
}

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release -Dwerror=false >"$WORK/setup.log" 2>&1
fi
meson configure "$BUILD" --buildtype=release -Dwerror=false >/dev/null
ninja -C "$BUILD" pocketstate bench/engine_bench >"$WORK/build.log" 2>&1 ||
  { tail -n 30 "$WORK/build.log"; exit 1; }

# fop_run NAME DB_URL -> "RPS P50 P99 NON2XX REGISTERED" on stdout
fop_run() {
  local name=$1 db=$2 port data="$WORK/data-$1"
  port=$(free_port)
  "$BUILD/pocketstate" init --data "$data" --db "$db" >/dev/null
  python3 - "$data/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["rate_limits"] = {k: 0 for k in ("auth_per_ip_per_minute", "auth_per_account_per_minute",
                                   "api_per_account_per_second", "api_per_client_per_second")}
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
  echo "bench engine ($name): loading $CITIZENS citizens ..." >&2
  "$BUILD/pocketstate" demo --data "$data" --db "$db" --citizens "$CITIZENS" \
    --listen "127.0.0.1:$port" >"$WORK/ps-$name.log" 2>&1 &
  PS_PID=$!
  wait_http "http://127.0.0.1:$port/readyz" 600 || { tail -n 20 "$WORK/ps-$name.log" >&2; exit 1; }
  "$BUILD/bench/engine_bench" mint "$db" "$CITIZENS" "$WORK/tokens-$name.txt" >&2
  echo "bench engine ($name): wrk $CONNS connections, $DURATION" >&2
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$ROOT/bench/fop.lua" \
    "http://127.0.0.1:$port" -- "$WORK/tokens-$name.txt" "$THREADS" >"$WORK/wrk-$name.txt" 2>&1
  read -r rps p50 p99 bad < <(wrk_stats "$WORK/wrk-$name.txt")
  local t
  t=$(head -n 1 "$WORK/tokens-$name.txt")
  curl -s -H "Authorization: Bearer $t" "http://127.0.0.1:$port/api/v1/applications" -o "$WORK/one-$name.json"
  kill -TERM "$PS_PID"; wait "$PS_PID" 2>/dev/null || true; PS_PID=""
  local reg
  case $db in
    sqlite:*) reg=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM sole_proprietors\").fetchone()[0])" "${db#sqlite:}") ;;
    *) reg=$(psql -X -At -d "$db" -c "SELECT count(*) FROM sole_proprietors") ;;
  esac
  echo "$rps $p50 $p99 $bad $reg"
}

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
read -r S_RPS S_P50 S_P99 S_BAD S_REG < <(fop_run sqlite "sqlite:$WORK/sqlite.db")
echo "  SQLite: $S_RPS registrations/s, p50 $S_P50 ms, p99 $S_P99 ms (non-2xx $S_BAD; $S_REG registered)"
P_RPS=n/a P_P50=n/a P_P99=n/a P_BAD=n/a P_REG=n/a
if [ -z "${BENCH_NO_PG:-}" ] && command -v pgbench >/dev/null; then
  PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/pocketstate-pg.XXXXXX")
  PGURL=$(scripts/pg.sh start "$PGDIR")
  read -r P_RPS P_P50 P_P99 P_BAD P_REG < <(fop_run postgres "$PGURL")
  echo "  PostgreSQL: $P_RPS registrations/s, p50 $P_P50 ms, p99 $P_P99 ms (non-2xx $P_BAD; $P_REG registered)"
fi

# the peer: nginx serving a 201's bytes
echo '{"id":"01a241d5-103d-7001-a85c-78667f4d9b54","service":"fop-registration","version":1,"status":"approved","step":"registered"}' >"$WORK/app.json"
nginx_static "$WORK/app.json" application/json
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$NGINX_PORT/app.json" >"$WORK/wrk-nginx.txt" 2>&1
read -r N_RPS N_P50 N_P99 _ < <(wrk_stats "$WORK/wrk-nginx.txt")
echo "  nginx static peer: $N_RPS req/s, p50 $N_P50 ms, p99 $N_P99 ms"

echo "bench engine: the engine's overhead (eligibility + validation)" >&2
"$BUILD/bench/engine_bench" eval 2 >"$WORK/eval.txt"
cat "$WORK/eval.txt"
read -r E_OURS E_PEER E_RATIO < <(sed -nE 's/^RESULT ours=([0-9]+) peer=([0-9]+) ratio=([0-9.]+)/\1 \2 \3/p' "$WORK/eval.txt")

python3 - "$RESULTS" <<PY
import re, sys, datetime
path = sys.argv[1]
text = open(path).read() if __import__("os").path.exists(path) else "# Benchmark results\n"
section = """## Service engine (bench/engine.sh)

$(date -u +%Y-%m-%d), load average before the run: $LOADAVG (2 cores shared by
server, database and load). $CITIZENS citizens, wrk $THREADS threads,
$CONNS connections, $DURATION per run, each request a different citizen's FOP registration
(POST /api/v1/applications, submit: eligibility, validation, registry entry with details,
the FOP extract issued (document row, status-list slot, its change entry), inbox,
history, change entries, all committed before the 201).

| run | registrations/s | p50 | p99 | non-2xx | registered |
|---|---|---|---|---|---|
| SQLite | $S_RPS | $S_P50 ms | $S_P99 ms | $S_BAD | $S_REG |
| PostgreSQL | $P_RPS | $P_P50 ms | $P_P99 ms | $P_BAD | $P_REG |
| peer: nginx, the 201's bytes as a static file | $N_RPS | $N_P50 ms | $N_P99 ms | | |

Targets (issue 13): SQLite p50 under 5 ms, at least 2,000 registrations/s.

The engine's overhead: the FOP definition's eligibility and validation evaluated by the engine,
$E_OURS/s, against the same checks hand-written in C over the same JSON, $E_PEER/s (CPU time,
best of 3 alternating rounds): **${E_RATIO}x** (target 0.5x).
"""
text = re.sub(r"## Service engine \(bench/engine.sh\).*?(?=\n## |\Z)", "", text, flags=re.S).rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
echo "bench engine: results in $RESULTS"
