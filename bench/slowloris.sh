#!/usr/bin/env bash
# Slow-client benchmark (bench/slowloris.c) and its section in bench/results.md: the latency
# of a fresh client's GET /healthz (a new connection per request, every 10 ms) while
# SLOWLORIS_SLOW connections from SLOWLORIS_ADDRS addresses trickle their headers (one byte
# every 250 ms, reopened at once when cut), next to the same figure with no slow clients (the
# peer, same run, same server). Reports only; never fails on a figure. Callable from
# `make bench`:   bench/slowloris.sh
#   SLOWLORIS_SLOW=1500 SLOWLORIS_ADDRS=6 SLOWLORIS_SECONDS=15 SLOWLORIS_REOPEN_MS=0
#   SLOWLORIS_BUILD=build-bench (release, -Dtests=false, -Dwerror=false, as bench/run.sh)
# The server runs with the default limits (max_connections 1024, max_per_ip 256,
# header_timeout_s 5): 1,500 trickling connections are past max_connections, so every new
# connection has to make room.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${SLOWLORIS_BUILD:-build-bench}
RESULTS=${BENCH_RESULTS:-bench/results.md}
SLOW=${SLOWLORIS_SLOW:-1500}
ADDRS=${SLOWLORIS_ADDRS:-6}
SECONDS_=${SLOWLORIS_SECONDS:-15}
REOPEN=${SLOWLORIS_REOPEN_MS:-0}
WORK=$(mktemp -d /tmp/ps-slowloris.XXXXXX)
PS_PID=""
cleanup() {
  [ -n "$PS_PID" ] && kill -TERM "$PS_PID" 2>/dev/null && wait "$PS_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# 1,500 client sockets plus the server's own (one process each side): raise the soft limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((SLOW + 512)) ]; then
  echo "slowloris: need $((SLOW + 512)) descriptors, ulimit -n is $(ulimit -n)" >&2
  exit 1
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release -Dtests=false -Dwerror=false >/dev/null
fi
ninja -C "$BUILD" pocketstate bench/slowloris >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/pocketstate" init --data "$WORK/data" >/dev/null
"$BUILD/pocketstate" serve --data "$WORK/data" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
PS_PID=$!
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.1
done
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

run() { "$BUILD/bench/slowloris" "$PORT" "$1" "$ADDRS" 250 "$REOPEN" 10 "$SECONDS_"; }
BASE=$(run 0) && echo "$BASE"
ATTACK=$(run "$SLOW") && echo "$ATTACK"
BASE2=$(run 0) && echo "$BASE2"
field() { sed -nE "s/.* $2=([^ ]+).*/\1/p" <<<"$1"; }
RSS=$(awk '/VmHWM/ {print $2}' "/proc/$PS_PID/status")

python3 - "$RESULTS" <<EOF
import sys, datetime
path = sys.argv[1]
def f(line, key):
    for w in line.split():
        if w.startswith(key + "="):
            return w.split("=", 1)[1]
    return "?"
base, attack, base2 = """$BASE""", """$ATTACK""", """$BASE2"""
def ratio(a, b):
    try:
        return "%.1fx" % (float(a) / float(b))
    except (ValueError, ZeroDivisionError):
        return "n/a"
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
sec = []
sec.append("## Slow clients: bench/slowloris.sh, %s" % now)
sec.append("")
sec.append("Fresh-client latency (new connection, GET /healthz, one every 10 ms, connect to last "
           "byte) while $SLOW connections from $ADDRS addresses trickle their headers (one byte "
           "every 250 ms, reopened ${REOPEN} ms after being cut), against the same figure with no "
           "slow clients (peer, same run, same server, before and after). Default limits "
           "(max_connections 1024, max_per_ip 256, header_timeout_s 5); $BUILD; $(nproc) cores "
           "shared by server and load; load average before: $LOAD_BEFORE; server peak RSS "
           "${RSS} KiB. Target: p99 < 200 ms with 1,500 trickling connections.")
sec.append("")
sec.append("| scenario | probes ok / failed | p50 ms | p99 ms | max ms | slow held (min / avg) | slow cut |")
sec.append("|---|---:|---:|---:|---:|---:|---:|")
for name, l in (("no slow clients (peer)", base), ("$SLOW trickling connections", attack),
                ("no slow clients, after", base2)):
    sec.append("| %s | %s / %s | %s | %s | %s | %s / %s | %s |" % (
        name, f(l, "ok"), f(l, "failed"), f(l, "p50_ms"), f(l, "p99_ms"), f(l, "max_ms"),
        f(l, "held_min"), f(l, "held_avg"), f(l, "cut")))
sec.append("")
sec.append("p99 with slow clients / without: **%s**." % ratio(f(attack, "p99_ms"), f(base, "p99_ms")))
sec.append("")
text = open(path, encoding="utf-8").read()
i = text.find("\n## ")
text = text[:i + 1] + "\n".join(sec) + "\n" + text[i + 1:] if i >= 0 else text + "\n" + "\n".join(sec) + "\n"
open(path, "w", encoding="utf-8").write(text)
EOF
echo "slowloris: wrote a section to $RESULTS" >&2
