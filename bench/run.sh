#!/usr/bin/env bash
# Benchmarks pocketstate against nginx (a named peer, measured in the same run) with wrk on
# loopback, and writes bench/results.md. Benchmarks report; they never fail on a ratio.
#
# Each scenario is a function scenario_<name> that measures ours and the peer with `measure`
# and records a row with `row`; add one and list it in BENCH_SCENARIOS.
#   BENCH_SCENARIOS="health person share"   scenarios to run (in order)
#   BENCH_SHARE_PERSONS=2000 BENCH_SHARE_CODES=150   share codes made for scenario share
#     (persons x codes: enough that no code is used twice at the rate measured)
#   BENCH_CITIZENS=1000000            demo population size
#   BENCH_DURATION=10s BENCH_CONNS=64 BENCH_THREADS=2   wrk settings
#   BENCH_LOAD_TIMEOUT=600            seconds to wait for /readyz after starting the demo
# build-bench uses -Dwerror=false: a warning that only -O3 shows must not stop a benchmark
# (the test builds keep -Werror).
# Needs: wrk, nginx (nginx-light), curl, python3 (scripts/deps.sh bench installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCENARIOS=${BENCH_SCENARIOS:-health person share}
CITIZENS=${BENCH_CITIZENS:-1000000}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_THREADS:-2}
LOAD_TIMEOUT=${BENCH_LOAD_TIMEOUT:-600}
BUILD=build-bench
RESULTS=${BENCH_RESULTS:-bench/results.md}

WORK=$(mktemp -d /tmp/ps-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers (www-data) read the static files below it
PS_PID="" NGINX_PID=""
ROWS=()      # markdown table rows
COMMANDS=()  # the wrk command lines, for the record

cleanup() {
  [ -n "$PS_PID" ] && kill -TERM "$PS_PID" 2>/dev/null && wait "$PS_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # URL TIMEOUT_S PID: waits for a 200
  local i=0 n=$(($2 * 10))
  while [ $i -lt $n ]; do
    kill -0 "$3" 2>/dev/null || return 1
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}

# ---- setup ---------------------------------------------------------------------------------

build() {
  if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" --buildtype=release -Dtests=false -Dwerror=false >"$WORK/setup.log" 2>&1 ||
      { tail -n 30 "$WORK/setup.log"; exit 1; }
  else
    meson configure "$BUILD" --buildtype=release -Dtests=false -Dwerror=false >/dev/null
  fi
  ninja -C "$BUILD" pocketstate bench/share_prep >"$WORK/build.log" 2>&1 ||
    { tail -n 30 "$WORK/build.log"; exit 1; }
}

start_pocketstate() {
  PS_PORT=$(free_port)
  PS_URL="http://127.0.0.1:$PS_PORT"
  echo "bench: loading $CITIZENS citizens (demo) ..."
  local t0; t0=$(date +%s)
  "$BUILD/pocketstate" demo --data "$WORK/data" --citizens "$CITIZENS" \
    --listen "127.0.0.1:$PS_PORT" >"$WORK/pocketstate.log" 2>&1 &
  PS_PID=$!
  if ! wait_http "$PS_URL/readyz" "$LOAD_TIMEOUT" "$PS_PID"; then
    echo "bench: pocketstate did not become ready"; tail -n 30 "$WORK/pocketstate.log"; exit 1
  fi
  LOAD_S=$(( $(date +%s) - t0 ))
  echo "bench: ready after ${LOAD_S}s"
  export BENCH_TOKEN; BENCH_TOKEN=$(cat "$WORK/data/admin.token")
}

start_nginx() {
  NGINX_PORT=$(free_port)
  NGINX_URL="http://127.0.0.1:$NGINX_PORT"
  mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp"
  chmod -R 755 "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { root $WORK/nginx/www; default_type application/json; }
    # POST answered with a static file (the peer of a POST route): 405 turned into the file
    location /post/ { root $WORK/nginx/www; default_type application/json;
                      error_page 405 =200 \$uri; }
  }
}
CONF
  nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
}

# Makes nginx serve NAME with exactly the bytes of BODY_FILE; waits until it does.
peer_file() {
  cp "$2" "$WORK/nginx/www/$1"
  chmod 644 "$WORK/nginx/www/$1"
  wait_http "$NGINX_URL/$1" 10 "$NGINX_PID" || { echo "bench: nginx does not serve $1"; 
    cat "$WORK/nginx/error.log"; exit 1; }
}

# ---- measuring ------------------------------------------------------------------------------

# measure LABEL URL [LUA_ARGS...]: runs wrk, sets RPS, P99_MS, NON2XX. The script is
# bench/paths.lua, or $MEASURE_LUA when set.
measure() {
  local label=$1 url=$2; shift 2
  local cmd=(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency)
  local lua=${MEASURE_LUA:-$ROOT/bench/paths.lua}
  [ $# -gt 0 ] && cmd+=(-s "$lua" "$url" -- "$@") || cmd+=("$url")
  COMMANDS+=("$label: ${cmd[*]//$ROOT//}")
  "${cmd[@]}" >"$WORK/wrk-$label.txt" 2>&1 || { cat "$WORK/wrk-$label.txt"; exit 1; }
  read -r RPS P99_MS NON2XX < <(python3 - "$WORK/wrk-$label.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
n = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
print("%.0f %.3f %d" % (rps, p99, int(n.group(1)) if n else 0))
PY
)
  printf '  %-28s %10s req/s   p99 %8s ms%s\n' "$label" "$RPS" "$P99_MS" \
    "$([ "$NON2XX" -gt 0 ] && echo "   ($NON2XX non-2xx!)")"
}

# row SCENARIO TARGET_RATIO OURS_RPS OURS_P99 OURS_NON2XX PEER_RPS PEER_P99 BYTES
row() {
  local ratio; ratio=$(python3 -c "print('%.2f' % ($3 / $6))")
  local verdict="meets" note=""
  python3 -c "import sys; sys.exit(0 if $ratio >= $2 else 1)" || verdict="below"
  python3 -c "import sys; sys.exit(0 if $4 < 5 else 1)" || note=" p99 >= 5 ms;"
  [ "$5" -gt 0 ] && note="$note $5 non-2xx responses (figures invalid);"
  printf '  => %s: ours/nginx = %sx (target >= %sx: %s)%s\n' "$1" "$ratio" "$2" "$verdict" "$note"
  ROWS+=("| $1 | $8 | $3 | $4 | $6 | $7 | **${ratio}x** | >= $2x: $verdict;$note |")
}

# ---- scenarios -----------------------------------------------------------------------------

scenario_health() {
  echo "scenario health: GET /healthz vs nginx static file of the same size"
  curl -s "$PS_URL/healthz" -o "$WORK/healthz.json"
  peer_file healthz.json "$WORK/healthz.json"
  local bytes; bytes=$(wc -c <"$WORK/healthz.json")
  measure health-pocketstate "$PS_URL/healthz"; local r=$RPS p=$P99_MS n=$NON2XX
  measure health-nginx "$NGINX_URL/healthz.json"
  row "GET /healthz" 1.0 "$r" "$p" "$n" "$RPS" "$P99_MS" "$bytes"
}

scenario_person() {
  echo "scenario person: GET /api/v1/registry/persons/{random rnokpp} (admin token) vs nginx"
  python3 - "$WORK/data" "$WORK/rnokpps.txt" <<'PY'
import os, sqlite3, sys
data, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(data)):
    if not name.endswith(".db"):
        continue
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data, name), uri=True, timeout=30)
    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        if "rnokpp" in [r[1] for r in db.execute('PRAGMA table_info("%s")' % t)]:
            n = db.execute('SELECT max(rowid) FROM "%s"' % t).fetchone()[0] or 0
            import random
            rows = [r[0] for r in db.execute(
                'SELECT rnokpp FROM "%s" WHERE rowid IN (%s)' % (
                    t, ",".join(str(random.randint(1, n)) for _ in range(1000))))]
            open(out, "w").write("\n".join(rows) + "\n")
            print("bench: %d RNOKPPs sampled from %s (%d rows)" % (len(rows), t, n))
            sys.exit(0)
sys.exit("bench: no table with an rnokpp column")
PY
  local first; first=$(head -n 1 "$WORK/rnokpps.txt")
  curl -s -H "Authorization: Bearer $BENCH_TOKEN" "$PS_URL/api/v1/registry/persons/$first" \
    -o "$WORK/person.json"
  peer_file person.json "$WORK/person.json"
  local bytes; bytes=$(wc -c <"$WORK/person.json")
  measure person-pocketstate "$PS_URL" "$WORK/rnokpps.txt" /api/v1/registry/persons/
  local r=$RPS p=$P99_MS n=$NON2XX
  measure person-nginx "$NGINX_URL" - /person.json
  row "GET person by RNOKPP" 0.6 "$r" "$p" "$n" "$RPS" "$P99_MS" "$bytes"
}

# Waits until the transparency log's tree stops growing (the integrator has sequenced what a
# preparation wrote), at most 120 s.
log_settled() {
  local last=-1 size i=0
  while [ $i -lt 240 ]; do
    size=$(curl -s "$PS_URL/checkpoint" | sed -n 2p)
    [ -n "$size" ] && [ "$size" = "$last" ] && return 0
    last=${size:--1}; sleep 0.5; i=$((i + 1))
  done
}

scenario_share() {
  echo "scenario share: POST /api/v1/shares/redeem, each single-use code once (admin token),"
  echo "  vs nginx answering a POST with a static file of the same bytes"
  local persons=${BENCH_SHARE_PERSONS:-2000} per=${BENCH_SHARE_CODES:-150} t0
  t0=$(date +%s)
  "$BUILD/bench/share_prep" "$WORK/data" "$PS_URL" "$persons" "$per" "$WORK/codes.txt" ||
    { echo "bench: share_prep failed"; exit 1; }
  echo "bench: $(wc -l <"$WORK/codes.txt") codes in $(( $(date +%s) - t0 ))s"
  log_settled
  # the last code gives the peer its bytes (and is used up)
  local sample; sample=$(tail -n 1 "$WORK/codes.txt")
  sed -i '$d' "$WORK/codes.txt"
  curl -s -X POST -H "Authorization: Bearer $BENCH_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"code\":\"$sample\",\"purpose\":\"bench: checking an ID card\"}" \
    "$PS_URL/api/v1/shares/redeem" -o "$WORK/redeem.json"
  mkdir -p "$WORK/nginx/www/post" && chmod 755 "$WORK/nginx/www/post"
  peer_file post/redeem.json "$WORK/redeem.json"
  local bytes; bytes=$(wc -c <"$WORK/redeem.json")
  MEASURE_LUA="$ROOT/bench/redeem.lua" measure share-pocketstate "$PS_URL" \
    "$WORK/codes.txt" /api/v1/shares/redeem "$THREADS"
  local r=$RPS p=$P99_MS n=$NON2XX
  MEASURE_LUA="$ROOT/bench/redeem.lua" measure share-nginx "$NGINX_URL" - /post/redeem.json 1
  row "POST share redemption" 0.15 "$r" "$p" "$n" "$RPS" "$P99_MS" "$bytes"
  local verdict="meets"
  python3 -c "import sys; sys.exit(0 if $r >= 15000 and $p < 10 else 1)" || verdict="below"
  ROWS+=("| share redemption, absolute target | | $r | $p | | | | >= 15000 req/s and p99 < 10 ms: $verdict |")
  printf '  => share redemption: %s req/s, p99 %s ms (target >= 15000 req/s, p99 < 10 ms: %s)\n' \
    "$r" "$p" "$verdict"
}

# ---- report --------------------------------------------------------------------------------

write_results() {
  local cpu; cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  local ver; ver=$("$BUILD/pocketstate" --version 2>/dev/null | head -n 1 || echo '?')
  local nver; nver=$(nginx -v 2>&1 | sed 's/.*: //')
  local section="$WORK/section.md"
  {
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(nproc) cores, $cpu, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average before the run: $LOADAVG (other work skews the figures)"
    echo "- pocketstate: $ver, $BUILD (buildtype=release), demo with $CITIZENS citizens (SQLite), ready in ${LOAD_S}s"
    echo "- peer: $nver, worker_processes auto, access_log off, static file with the same bytes"
    echo "- load: wrk -t$THREADS -c$CONNS -d$DURATION --latency, same machine, loopback"
    echo "- targets: health >= 1.0x nginx, person lookup >= 0.6x nginx, p99 < 5 ms at $CONNS connections; share redemption >= 15000 req/s with p99 < 10 ms (each request a durable single-use redemption and its access record)"
    echo
    echo "| scenario | body bytes | pocketstate req/s | p99 ms | nginx req/s | nginx p99 ms | ratio | target |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Commands:"
    echo
    printf '    %s\n' "${COMMANDS[@]}"
    echo
  } >"$section"
  {
    echo "# Benchmark results"
    echo
    echo "Written by \`make bench\` (bench/run.sh); newest run first. See docs/testing.md."
    echo
    cat "$section"
    [ -f "$RESULTS" ] && sed -n '/^## /,$p' "$RESULTS"
  } >"$WORK/results.md"
  cp "$WORK/results.md" "$RESULTS"
  echo "bench: results written to $RESULTS"
}

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
build
start_nginx
start_pocketstate
for s in $SCENARIOS; do
  "scenario_$s"
done
write_results
